"""The Telegram bot: the resident dialog, the long-polling worker, the outbox sender,
and a local Bot API server for tests, benchmarks and `flask bot-sandbox`.

Entry point: `python bot_worker.py` (app.bot.worker.main). Importing this package
loads nothing heavy; the web app imports only app.bot.sandbox for its CLI command.
"""
