"""«Удалить мои данные» (152-ФЗ, art. 21): the bot forgets a resident, the company keeps its records.

After forget(), nothing in the database links the Telegram id to a person or a request: the pairs
are released, the dialog state and the announcements and meter reminder settings are gone, the
meter readings they sent no longer name them, the requests the user filed
(or was linked to) and their messages no longer name them, the messages waiting for them in the
outbox are cancelled (through the outbox's own cancel path) and every outbox row to their chat is
anonymised, and their identification attempts are forgotten. The requests stay, and their threads
say that the resident deleted their data. What is kept is the proof of consent: a ConsentRecord
«withdrawn» naming the Telegram id and the notice's version only. The user may start again from
/start as a new person. The same action serves an administrator (a resident who asked by phone).
"""
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import (AnnouncementOptOut, Attempt, Conversation, Notification, Request, RequestMessage,
                        TelegramBinding, utcnow)
from app.models.conversation import BOT, Kind
from app.models.meters import MeterReading, MeterReminderOptOut
from app.services.messaging import outbox
from app.services.people import consent

THROTTLE_SCOPES = ("bot_ident",)  # app.bot.identify.THROTTLE_SCOPE: attempts keyed by the Telegram id
FORGOTTEN_CHAT = 0  # the chat an anonymised outbox row names: no one's


@dataclass(frozen=True)
class Forgotten:
    accounts: int   # pairs released
    requests: int   # requests detached
    cancelled: int  # outbox messages that will not be sent


def forget(telegram_user_id: int) -> Forgotten:
    """Forget the user in the caller's transaction (the caller commits)."""
    pairs = db.session.execute(select(TelegramBinding.chat_id).where(
        TelegramBinding.telegram_user_id == telegram_user_id)).scalars().all()
    authored = db.session.execute(select(Request.id, Request.author_chat_id).where(
        Request.author_telegram_id == telegram_user_id)).all()
    dialog = db.session.get(Conversation, telegram_user_id)
    # In a private chat the chat id is the user id; the rows also name the chats the bot knew for them.
    chats = {telegram_user_id, *pairs, *(row.author_chat_id for row in authored if row.author_chat_id)}
    if dialog is not None:
        chats.add(dialog.chat_id)

    cancelled = outbox.cancel(Notification.chat_id.in_(chats))
    db.session.execute(update(Notification).where(Notification.chat_id.in_(chats))
                       .values(chat_id=FORGOTTEN_CHAT).execution_options(synchronize_session=False))
    now = utcnow()
    for request_id, _ in authored:
        db.session.add(RequestMessage(request_id=request_id, created_at=now, sender=BOT,
                                      kind=Kind.FORGOTTEN.value, text="", read_at=now))
    db.session.execute(update(Request).where(Request.author_telegram_id == telegram_user_id)
                       .values(author_telegram_id=None, author_chat_id=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(RequestMessage).where(RequestMessage.telegram_user_id == telegram_user_id)
                       .values(telegram_user_id=None).execution_options(synchronize_session=False))
    released = db.session.execute(delete(TelegramBinding).where(
        TelegramBinding.telegram_user_id == telegram_user_id)).rowcount
    db.session.execute(delete(Conversation).where(Conversation.telegram_user_id == telegram_user_id))
    db.session.execute(delete(AnnouncementOptOut).where(AnnouncementOptOut.telegram_user_id == telegram_user_id))
    # Meter readings stay the account's (billing needs them); they no longer say who sent them.
    db.session.execute(update(MeterReading).where(MeterReading.telegram_user_id == telegram_user_id)
                       .values(telegram_user_id=None, chat_id=None).execution_options(synchronize_session=False))
    db.session.execute(delete(MeterReminderOptOut).where(MeterReminderOptOut.telegram_user_id == telegram_user_id))
    db.session.execute(delete(Attempt).where(Attempt.scope.in_(THROTTLE_SCOPES),
                                             Attempt.key == str(telegram_user_id)))
    if consent.latest_answer(telegram_user_id) is not None:
        consent.record(telegram_user_id, consent.stored_version(), consent.WITHDRAWN)
    db.session.expire_all()  # the session's objects were changed behind its back
    return Forgotten(released, len(authored), cancelled)
