"""Is the bot serving residents? The worker writes a heartbeat; the web app reads it.

Staff cannot see the bot, so when it stops (the worker crashed, the server rebooted
without it, Telegram is unreachable) residents' requests silently stop arriving.
The web app shows a warning on every page instead. Likewise when the staff chat
(STAFF_CHAT_ID) stops taking the alerts: staff_chat_problem().
"""
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import BotStatus, Notification, utcnow
from app.services.messaging import outbox
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
STAFF_CHAT_FAILS = ("Чат сотрудников в Telegram не получает оповещений: сообщение от {at} не доставлено ({reason}). "
                    "Аварийные заявки и просрочки туда не приходят. Сообщите администратору: проверьте "
                    "STAFF_CHAT_ID и что бот состоит в группе.")
# Why a message to the staff chat failed (Notification.failure), said of a group rather than of a resident.
STAFF_CHAT_FAILURES = {
    "blocked": "бот заблокирован в чате",
    "chat_gone": "чат не найден или бот удалён из группы",
}


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


def staff_chat_problem(chat_id: int | None, format_time) -> str | None:
    """A warning while the staff chat does not take the alerts (a wrong id, the bot removed from the
    group): its latest sent or failed message failed. A later delivered one ends the warning."""
    if chat_id is None:
        return None

    def last(status: str):  # priority: the staff chat gets alerts only, so the index is read directly
        return select(func.max(Notification.id)).where(
            Notification.chat_id == chat_id, Notification.status == status,
            Notification.priority == outbox.ALERT).scalar_subquery()

    failed = db.session.execute(
        select(Notification).where(Notification.id == last(outbox.FAILED),
                                   Notification.id > func.coalesce(last(outbox.SENT), 0))).scalar_one_or_none()
    if failed is None:
        return None
    reason = (STAFF_CHAT_FAILURES.get(failed.failure) or outbox.FAILURES.get(failed.failure)
              or failed.failure or "причина неизвестна")
    return STAFF_CHAT_FAILS.format(at=format_time(failed.created_at), reason=reason)
