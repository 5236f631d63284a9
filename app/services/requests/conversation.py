"""The conversation on a request: what the resident and staff write to each other.

- The resident writes through the bot. Each Telegram message (a text, a photo with its
  caption, one picture of an album) is one RequestMessage; its photo is a RequestPhoto the
  worker downloads like the filing's. Staff have not seen it until one of them opens the
  request: `requests.unread_messages` counts such messages, so the journal filters and
  counts them without reading the messages. A message on a closed request is kept and
  flagged (`on_closed`); the request stays closed. A message while «Проблема решена?» waits
  stops its auto-close and alerts the staff chat (_stop_the_clock).
- Staff write from the request page, with an optional photo: the message is queued in the
  outbox (plain text, split when long) with a «Ответить» button, and its delivery state is
  that of its outbox rows (delivery()).
- Buttons the bot leaves on messages that may be pressed days later (request cards,
  «Ответить», «Да / Нет», ratings) are lasting (app.telegram.codec) and are checked
  against the database on every press: resident_request().
The resident's verdict on finished work is part of the request's lifecycle
(app.services.requests.lifecycle); this module sends the question and keeps the answers as messages.
"""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.database import locked
from app.extensions import db
from app.models import Notification, Request, RequestEvent, RequestMessage, RequestPhoto, utcnow
from app.models.conversation import BOT, RATINGS, RESIDENT, STAFF, Kind, Verdict  # noqa: F401 (RATINGS: read from here)
from app.services.messaging import outbox
from app.services.people import household
from app.services.requests import staff_alerts
from app.services import storage
from app.services.requests.statuses import Status
from app.telegram import photos
from app.telegram import resident as resident_voice

STAFF_TEXT_MAX = 10_000  # the outbox splits it into Telegram messages of 4 096 characters


class ConversationError(ValueError):
    """What staff cannot send; the message is shown as is."""


class BadPhoto(ConversationError):
    """The photo cannot be sent (app.telegram.photos says why)."""


class NotYours(LookupError):
    """No such request among the resident's own."""


class NotBound(LookupError):
    """The resident filed the request but is no longer bound to its account (the pair was released)."""

    def __init__(self, request: Request):
        super().__init__(request.number)
        self.request = request


# --- the resident's side ------------------------------------------------------------------

def bound_accounts(telegram_user_id: int):
    """The client ids the Telegram user is bound to now (a subquery)."""
    return household.bound_accounts(telegram_user_id)


def resident_request(request_id: int, telegram_user_id: int, lock: bool = False) -> Request:
    """The request a button acts on (writing, answers), if the resident is its author (they filed it,
    or it was phoned in with their phone: app.services.people.household) and still holds its account;
    NotYours or NotBound otherwise. `lock` holds its row until commit (staff may be changing it now)."""
    request = locked(Request, request_id) if lock else db.session.get(Request, request_id)
    if request is None or request.author_telegram_id != telegram_user_id:
        raise NotYours(request_id)
    if not household.is_household_request(request, telegram_user_id):
        raise NotBound(request)
    return request


def household_request(request_id: int, telegram_user_id: int) -> Request:
    """The request a card shows: any request of an account the resident holds (their household's);
    NotBound for their own request on an account they no longer hold, NotYours otherwise."""
    request = db.session.get(Request, request_id)
    if request is None:
        raise NotYours(request_id)
    if household.is_household_request(request, telegram_user_id):
        return request
    if request.author_telegram_id == telegram_user_id:
        raise NotBound(request)
    raise NotYours(request_id)


def resident_can_write(request: Request) -> bool:
    """Every request but an archived one takes the resident's messages."""
    return request.status != Status.ARCHIVED


def add_resident_message(request: Request, telegram_user_id: int, text: str = "", photo: tuple[str, str] | None = None,
                         kind: Kind = Kind.MESSAGE, unread: bool = True) -> RequestMessage:
    """Keep what the resident wrote (`photo`: Telegram's file id and unique id); staff are shown it as
    unread unless `unread` is False."""
    now = utcnow()
    message = RequestMessage(request_id=request.id, created_at=now, sender=RESIDENT, kind=kind.value, text=text,
                             telegram_user_id=telegram_user_id, on_closed=request.status == Status.CLOSED,
                             read_at=None if unread else now)
    db.session.add(message)
    db.session.flush()
    if photo is not None:
        db.session.add(RequestPhoto(request_id=request.id, message_id=message.id, telegram_file_id=photo[0],
                                    telegram_file_unique_id=photo[1], caption=text, created_at=now))
    if unread:
        request.unread_messages = Request.unread_messages + 1  # in SQL: a concurrent change is not lost
    request.updated_at = now
    if kind not in (Kind.SOLVED, Kind.UNSOLVED) and request.verdict == Verdict.ASKED and _stop_the_clock(request):
        staff_alerts.resident_wrote(request, text or ("фото" if photo is not None else ""))
    return message


def _stop_the_clock(request: Request) -> bool:
    """A message while «Проблема решена?» waits may be a «нет» in words («Нет, всё ещё течёт!»): the
    request no longer closes by itself, the dispatcher decides (Verdict.WROTE; the buttons still answer).
    In SQL, as the unread count: the auto-close job may hold the request right now. True if it stopped."""
    stopped = db.session.execute(
        update(Request).where(Request.id == request.id, Request.status == Status.DONE.value,
                              Request.verdict == Verdict.ASKED.value)
        .values(verdict=Verdict.WROTE.value).execution_options(synchronize_session=False)
    ).rowcount
    if stopped:
        set_committed_value(request, "verdict", Verdict.WROTE.value)
    return bool(stopped)


def last_messages(request: Request, count: int = 3) -> list[RequestMessage]:
    """The newest messages between the resident and staff, oldest first (the bot's request card)."""
    rows = db.session.execute(
        select(RequestMessage).where(RequestMessage.request_id == request.id,
                                     RequestMessage.sender.in_((RESIDENT, STAFF)))
        .order_by(RequestMessage.id.desc()).limit(count)
    ).scalars().all()
    return rows[::-1]


# --- the staff's side ---------------------------------------------------------------------

def staff_cannot_write(request: Request) -> str | None:
    """Why staff cannot write to the request's resident at all, or None."""
    if request.author_chat_id is None:
        if request.source == "phone":
            return "Заявка принята по телефону: написать жителю в Telegram нельзя."
        return ("Заявка не связана с жителем в Telegram (например, он удалил свои данные из бота): "
                "написать жителю в Telegram нельзя.")
    if request.status == Status.ARCHIVED:
        return "Заявка в архиве: переписка по ней закрыта."
    return None


def add_staff_message(request: Request, staff, text: str, photo: bytes | None = None,
                      form_key: str | None = None) -> RequestMessage:
    """Write to the resident who filed the request, through the outbox; ConversationError if it cannot go.
    `form_key` (the page's form): a second post of the same form returns the first one's message and
    sends nothing (a double click). The caller holds the request's row lock, so the posts go one by one."""
    if form_key:
        sent = db.session.execute(select(RequestMessage).where(RequestMessage.request_id == request.id,
                                                               RequestMessage.form_key == form_key)).scalar()
        if sent is not None:
            return sent
    text = (text or "").strip()  # its line breaks are \n already (app.forms.TextArea)
    refusal = staff_cannot_write(request)
    if refusal:
        raise ConversationError(refusal)
    if not text and not photo:
        raise ConversationError("Напишите сообщение или приложите фото.")
    if len(text) > STAFF_TEXT_MAX:
        raise ConversationError(f"Сообщение длиннее {STAFF_TEXT_MAX} символов: сократите его.")
    try:
        extension = photos.check_photo(photo) if photo else ""
    except photos.BadPhoto as error:
        raise BadPhoto(str(error)) from None
    now = utcnow()
    message = RequestMessage(request_id=request.id, created_at=now, sender=STAFF, kind=Kind.MESSAGE.value,
                             text=text, staff_id=staff.id, form_key=form_key or None)
    db.session.add(message)
    db.session.flush()
    path = ""
    if photo:
        # Kept before the commit (in its transaction, for the database store): the sender never finds
        # the row without its file.
        path = storage.save(f"messages/{request.id}/{message.id}{extension}", photo)
        db.session.add(RequestPhoto(request_id=request.id, message_id=message.id, file_path=path, caption=text,
                                    created_at=now))
    _queue(request, message, resident_voice.staff_message(request.number, text), photo=path,
           buttons=resident_voice.reply_markup(request.id))
    request.updated_at = now
    return message


def ask_confirmation(request: Request, status_text: str) -> RequestMessage:
    """Ask the resident whether the work fixed the problem (the status news and the question in one)."""
    message = RequestMessage(request_id=request.id, created_at=utcnow(), sender=BOT, kind=Kind.QUESTION.value,
                             text=resident_voice.QUESTION)
    db.session.add(message)  # not flushed: the outbox rows name it by relationship (an incident asks thousands)
    _queue(request, message, resident_voice.question(status_text), buttons=resident_voice.question_markup(request.id),
           kind="confirm")
    return message


def _queue(request: Request, message: RequestMessage, text: str, kind: str = "message", **content) -> None:
    rows = outbox.queue(request.author_chat_id, text, kind=kind, priority=outbox.URGENT, request_id=request.id,
                        **content)
    for row in rows:
        row.message = message


def mark_read(request: Request, upto: int | None = None) -> int:
    """A staff member saw the request's resident messages (those up to message id `upto`: the ones
    their page shows): they are read. Returns how many were new."""
    seen = db.session.execute(
        update(RequestMessage)
        .where(RequestMessage.request_id == request.id, RequestMessage.sender == RESIDENT,
               RequestMessage.read_at.is_(None), *([RequestMessage.id <= upto] if upto is not None else []))
        .values(read_at=utcnow())
    ).rowcount
    if seen:  # minus what was marked, so a message arriving meanwhile stays counted
        db.session.execute(update(Request).where(Request.id == request.id)
                           .values(unread_messages=Request.unread_messages - seen))
    return seen


# --- the thread on the request page ------------------------------------------------------

@dataclass
class Entry:
    """One line of the thread: a message (with its photos and delivery state) or a status move."""

    at: datetime
    message: RequestMessage | None = None
    event: RequestEvent | None = None
    photos: list[RequestPhoto] = field(default_factory=list)
    delivery: str = ""        # outbox status of a staff or bot message: pending / sent / failed
    delivery_text: str = ""   # ... as staff are told: «не доставлено: житель заблокировал бота»
    new: bool = False         # a resident's message nobody had seen before this look


def thread(request: Request) -> list[Entry]:
    """Messages both ways and the status moves (the resident was told of each), in time order."""
    messages = db.session.execute(
        select(RequestMessage).where(RequestMessage.request_id == request.id).order_by(RequestMessage.id)
    ).scalars().all()
    photos: dict[int, list[RequestPhoto]] = {}
    for photo in db.session.execute(
            select(RequestPhoto).where(RequestPhoto.request_id == request.id, RequestPhoto.message_id.is_not(None))
            .order_by(RequestPhoto.id)).scalars():
        photos.setdefault(photo.message_id, []).append(photo)
    deliveries: dict[int, list[Notification]] = {}
    for row in db.session.execute(
            select(Notification).where(Notification.request_id == request.id, Notification.message_id.is_not(None))
            .order_by(Notification.id)).scalars():
        deliveries.setdefault(row.message_id, []).append(row)
    entries = []
    for message in messages:
        entry = Entry(message.created_at, message=message, photos=photos.get(message.id, []),
                      new=message.sender == RESIDENT and message.read_at is None)
        if message.id in deliveries:
            entry.delivery, entry.delivery_text = delivery(deliveries[message.id])
        entries.append(entry)
    events = db.session.execute(
        select(RequestEvent).where(RequestEvent.request_id == request.id, RequestEvent.kind.in_(("status", "rating")))
        .order_by(RequestEvent.id)
    ).scalars().all()
    entries += [Entry(event.created_at, event=event) for event in events]
    return sorted(entries, key=lambda e: e.at)  # stable: a message before the move it caused


def delivery(rows: list[Notification]) -> tuple[str, str]:
    """A message's state from its outbox rows (a long text or a photo takes several): failed if one
    failed, waiting while one waits, delivered when all are."""
    for state, states in ((outbox.FAILED, (outbox.FAILED,)), (outbox.PENDING, outbox.WAITING),
                          (outbox.CANCELLED, (outbox.CANCELLED,))):
        for row in rows:
            if row.status in states:
                return state, outbox.state_text(row)
    return outbox.SENT, outbox.state_text(rows[-1])
