"""The Telegram bot: the resident dialog, the long-polling worker and the outbox sender. What it
says (texts, keyboards, buttons' data) is in app.telegram; here are the handlers.

Entry point: `python bot_worker.py` (app.bot.worker.main). The web app imports
nothing from here; a local Bot API server for tests, benches and `python -m devtools.sandbox`
is in the top-level `devtools` package.
"""
