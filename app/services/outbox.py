"""The outbox: how the system queues a Telegram message, and what became of it.

Every message sent on the system's own initiative is a `Notification` row written in
the same transaction as the change that causes it (a status move, a staff message, a
filed request's confirmation), so it is sent exactly when that change commits and a
restart loses nothing. The bot worker sends the rows (app/bot/outbox.py): paced under
Telegram's limits, lower priority values first, one chat's rows in order, retried,
and records `sent` with Telegram's message id, or `failed` with why.
"""
import json

from app.extensions import db
from app.models import Notification

# Priorities: a lower value is sent first; a big announcement never delays a request's messages.
REPLY = -1   # the bot's answer to a resident who just wrote: not held to the overall rate
URGENT = 0   # status notifications, staff messages to a resident
ALERT = 5    # messages to the staff chat
BULK = 9     # announcements

TEXT_MAX = 4096     # Telegram's limit for a message
CAPTION_MAX = 1024  # ... and for a photo's caption

PENDING, SENT, FAILED, CANCELLED = "pending", "sent", "failed", "cancelled"

# Why a message was not delivered (Notification.failure), as staff are told.
FAILURES = {
    "blocked": "житель заблокировал бота",
    "chat_gone": "чат удалён или недоступен",
    "rejected": "Telegram отклонил сообщение",
    "gave_up": "Telegram долго не отвечал, попытки прекращены",
}
STATES = {PENDING: "в очереди", SENT: "доставлено", FAILED: "не доставлено", CANCELLED: "отменено"}


def queue(chat_id: int, text: str, *, kind: str = "status", priority: int | None = None,
          request_id: int | None = None, photo: str = "", buttons=None) -> list[Notification]:
    """Queue a message (the caller commits). Text longer than Telegram allows is split into
    several messages at line or word breaks; a photo takes the text as its caption when it
    fits, else the text follows it. `buttons` (a telebot markup or a Bot API dict) go under
    the last message. Returns the rows, in sending order."""
    text = text.strip()
    if not text and not photo:
        raise ValueError("an empty message cannot be sent")
    parts: list[tuple[str, str]] = []  # (photo, text)
    if photo:
        caption = text if len(text) <= CAPTION_MAX else ""
        parts.append((photo, caption))
        if not caption:
            parts += [("", chunk) for chunk in split_text(text)]
    else:
        parts = [("", chunk) for chunk in split_text(text)]
    markup = _markup_json(buttons)
    if priority is None:
        priority = REPLY if kind == "reply" else URGENT
    rows = [Notification(chat_id=chat_id, text=part_text, kind=kind, priority=priority,
                         request_id=request_id, photo=part_photo,
                         buttons=markup if i == len(parts) - 1 else "")
            for i, (part_photo, part_text) in enumerate(parts)]
    db.session.add_all(rows)
    return rows


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
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


def _markup_json(buttons) -> str:
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
