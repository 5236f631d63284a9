"""The outbox: how the system queues a Telegram message, and what became of it.

Every message sent on the system's own initiative is a `Notification` row written in
the same transaction as the change that causes it (a status move, a staff message, a
filed request's confirmation), so it is sent exactly when that change commits and a
restart loses nothing. The bot worker sends the rows (app/bot/outbox.py): paced under
Telegram's limits, lower priority values first, one chat's rows in order, retried,
and records `sent` with Telegram's message id, or `failed` with why.

A row's states: `pending` (waiting; cancelling a notice cancels these), `sending` (claimed by
the sender right before its send, so a row cancelled a moment earlier is never sent; a worker
killed meanwhile leaves it so, and the next start sends it again: at least once), then `sent`,
`failed` or `cancelled`; a send that will be retried goes back to `pending`.
"""
import json

from sqlalchemy import Select, insert, literal, select, update

from app.extensions import db
from app.models import Notification
from app.telegram.limits import MESSAGE_TEXT_MAX, PHOTO_CAPTION_MAX

# Priorities: a lower value is sent first; a big announcement never delays a request's messages.
REPLY = -1   # the bot's answer to a resident who just wrote: not held to the overall rate
URGENT = 0   # status notifications, staff messages to a resident
ALERT = 5    # messages to the staff chat
BULK = 9     # announcements


# Notification.photo: a file store reference (app.services.storage), or this prefix and a Telegram file id (a photo a user sent
# the bot, which the bot may send on as it is, downloaded or not).
TELEGRAM_FILE = "telegram:"

PENDING, SENDING, SENT, FAILED, CANCELLED = "pending", "sending", "sent", "failed", "cancelled"
WAITING = (PENDING, SENDING)  # not sent yet, and no outcome: what a report counts as still going

# Why a message was not delivered (Notification.failure), as staff are told.
FAILURES = {
    "blocked": "житель заблокировал бота",
    "chat_gone": "чат удалён или недоступен",
    "rejected": "Telegram отклонил сообщение",
    "gave_up": "Telegram долго не отвечал, попытки прекращены",
}
STATES = {PENDING: "в очереди", SENDING: "отправляется", SENT: "доставлено", FAILED: "не доставлено",
          CANCELLED: "отменено"}


def queue(chat_id: int, text: str, *, kind: str = "status", priority: int | None = None,
          request_id: int | None = None, photo: str = "", buttons=None) -> list[Notification]:
    """Queue a message (the caller commits), in as many rows as message_parts() cuts it into;
    `buttons` (a telebot markup or a Bot API dict) go under the last one. Returns the rows,
    in sending order."""
    parts = message_parts(text, photo)
    markup = markup_json(buttons)
    if priority is None:
        priority = REPLY if kind == "reply" else URGENT
    rows = [Notification(chat_id=chat_id, text=part_text, kind=kind, priority=priority,
                         request_id=request_id, photo=part_photo,
                         buttons=markup if i == len(parts) - 1 else "")
            for i, (part_photo, part_text) in enumerate(parts)]
    db.session.add_all(rows)
    return rows


def queue_many(messages, *, kind: str = "status", priority: int = URGENT) -> int:
    """Queue many messages, each (chat_id, text, request_id), in one INSERT of every row (the caller
    commits): what queue() writes, without an ORM object per row (an incident's move tells thousands of
    residents). Rows queued before in the transaction are flushed first, so they keep going first.
    Returns the number of rows."""
    rows = [{"chat_id": chat_id, "text": part_text, "kind": kind, "priority": priority, "request_id": request_id,
             "photo": "", "buttons": ""}
            for chat_id, text, request_id in messages for _, part_text in message_parts(text)]
    if rows:
        db.session.flush()
        db.session.execute(insert(Notification.__table__), rows)
    return len(rows)


def cancel(*conditions) -> int:
    """Cancel the waiting messages these conditions on Notification select; how many. The sender claims
    each row right before its send (app/bot/outbox.py), so none of them goes out after this commits;
    one already on its way to Telegram (`sending`) still arrives."""
    return db.session.execute(
        update(Notification).where(Notification.status == PENDING, *conditions)
        .values(status=CANCELLED).execution_options(synchronize_session=False)).rowcount


def queue_bulk(chat_ids: Select, text: str, *, kind: str, priority: int = BULK, photo: str = "",
               announcement_id: int | None = None) -> int:
    """Queue the same message to every chat `chat_ids` selects (distinct chat ids), in one
    INSERT ... SELECT (the caller commits): a notice to thousands of residents is queued whole
    or not at all. The message must fit one Telegram message. Returns the number of rows."""
    parts = message_parts(text, photo)
    if len(parts) != 1:
        raise ValueError("a message to many chats must fit one Telegram message")
    [(photo, text)] = parts
    chats = chat_ids.subquery()
    values = {"text": text, "kind": kind, "priority": priority, "photo": photo, "announcement_id": announcement_id}
    rows = select(chats.c[0], *(literal(value, Notification.__table__.c[name].type)
                                for name, value in values.items()))
    stmt = insert(Notification.__table__).from_select(["chat_id", *values], rows)
    return db.session.execute(stmt.execution_options(preserve_rowcount=True)).rowcount


def telegram_photo(file_id: str) -> str:
    return TELEGRAM_FILE + file_id


def message_parts(text: str, photo: str = "") -> list[tuple[str, str]]:
    """The (photo, text) of each message a text (and photo) is sent as: a text longer than
    Telegram allows is split at line or word breaks; a photo takes the text as its caption
    when it fits, else the text follows it."""
    text = text.strip()
    if not text and not photo:
        raise ValueError("an empty message cannot be sent")
    if not photo:
        return [("", chunk) for chunk in split_text(text)]
    if len(text) <= PHOTO_CAPTION_MAX:
        return [(photo, text)]
    return [(photo, "")] + [("", chunk) for chunk in split_text(text)]


def split_text(text: str, limit: int = MESSAGE_TEXT_MAX) -> list[str]:
    """Pieces of at most `limit` characters, cut at a line break or a space where there is one."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit + 1)
        if cut < limit // 2:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text or not pieces:
        pieces.append(text)
    return pieces


def markup_json(buttons) -> str:
    """Buttons as Bot API JSON (what telebot sends as it is); "" for none."""
    if not buttons:
        return ""
    if hasattr(buttons, "to_json"):
        return buttons.to_json()
    return json.dumps(buttons, ensure_ascii=False)


def state_text(row: Notification) -> str:
    """«доставлено», «в очереди», «не доставлено: житель заблокировал бота»."""
    text = STATES.get(row.status, row.status)
    if row.status == FAILED and row.failure:
        text += ": " + FAILURES.get(row.failure, row.failure)
    return text
