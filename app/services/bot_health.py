"""Is the bot serving residents? The worker writes a heartbeat; the web app reads it.

Staff cannot see the bot, so when it stops (the worker crashed, the server rebooted
without it, Telegram is unreachable) residents' requests silently stop arriving.
The web app shows a warning on every page instead.
"""
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import BotStatus, utcnow

ROW_ID = 1
# The worker beats every BOT_HEARTBEAT_SECONDS (30) and a long poll answers every ~25 s:
# silence for this long means it is down, not slow.
STALE_AFTER = timedelta(minutes=2)

NEVER_STARTED = ("Telegram-бот ещё не запускался: жители пока не могут подавать заявки через Telegram. "
                 "Сообщите администратору.")
WORKER_DOWN = ("Telegram-бот не работает с {since}: новые заявки от жителей не поступают, "
               "уведомления о статусах ждут отправки. Сообщите администратору.")
NO_TELEGRAM = ("Telegram-бот не может связаться с Telegram{since}: новые заявки от жителей не поступают, "
               "уведомления о статусах ждут отправки.")


def beat(username: str, telegram_ok_at: datetime | None) -> None:
    """The worker is alive (and when Telegram last answered it)."""
    row = db.session.get(BotStatus, ROW_ID)
    if row is None:
        row = BotStatus(id=ROW_ID)
        db.session.add(row)
    row.username, row.beat_at, row.telegram_ok_at = username, utcnow(), telegram_ok_at
    try:
        db.session.commit()
    except IntegrityError:  # another worker wrote the first row at the same moment
        db.session.rollback()


def problem(token_configured: bool, format_time) -> str | None:
    """What staff should be told about the bot, or None when it serves residents.

    No heartbeat at all is only a problem where a bot is configured: a demo or a
    company without a bot gets no warning.
    """
    row = db.session.get(BotStatus, ROW_ID)
    if row is None:
        return NEVER_STARTED if token_configured else None
    now = utcnow()
    if now - row.beat_at > STALE_AFTER:
        return WORKER_DOWN.format(since=format_time(row.beat_at))
    if row.telegram_ok_at is None:
        return NO_TELEGRAM.format(since="")
    if now - row.telegram_ok_at > STALE_AFTER:
        return NO_TELEGRAM.format(since=f" с {format_time(row.telegram_ok_at)}")
    return None
