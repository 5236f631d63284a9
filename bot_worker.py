"""Telegram bot worker (long polling). Run: `python bot_worker.py`."""
import sys

from app.bot.worker import main

if __name__ == "__main__":
    sys.exit(main())
