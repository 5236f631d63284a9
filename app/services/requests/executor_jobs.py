"""Jobs of executors bound to the bot (app.services.people.executor_links): what they are sent, and which
requests their buttons may act on.

- Assigned a request, an executor receives its card (number, category, address, the resident's
  name and phone, the deadlines still to meet, description) with «Принял, в работе» / «Выполнено», after the
  resident's photos; a job taken away (another executor, back to «новая») is announced, and so is
  any status move made by someone else while the job is theirs. All through the outbox, in the
  words of app.telegram.executor.
- A job is an executor's while the request names them and is «назначена» or «в работе»
  (OPEN_JOB); every button press is checked against the database (job_of), so a forged or old
  button acts on nothing that is not the presser's job now.
The moves themselves go through app.services.requests.lifecycle (executor_take, executor_done).
"""
from sqlalchemy import func, nulls_last, select

from app.database import locked
from app.extensions import db
from app.models import Executor, Notification, Request, RequestPhoto, utcnow
from app.services.requests import deadlines
from app.services.messaging import outbox
from app.services.requests.statuses import Status
from app.telegram import executor as executor_voice

OPEN_JOB = (Status.ASSIGNED, Status.IN_PROGRESS)  # what an executor still has to do
LISTED = 20  # jobs «Мои задания» shows as buttons; the rest are counted


class JobError(LookupError):
    """A button names a request that is not the presser's job (now); the message (to the executor) says why."""


def executor_label(executor: Executor) -> str:
    """How the request's history names a move the executor made from the bot."""
    return f"Исполнитель {executor.full_name} (Telegram)"


# --- the job card ---------------------------------------------------------------------------

def to_meet(request: Request) -> list[executor_voice.Deadline]:
    """The deadlines still to meet (a reaction is once assigned): what the card shows."""
    return [(line.title, line.due, line.text) for line in deadlines.lines(request, utcnow())
            if line.state not in ("met", "missed")]


def card(request: Request, heading: str = "") -> tuple[str, dict | None]:
    """The job's card: its text, and what the executor can do with the job now (take it, report it
    done; nothing once it is not open)."""
    return (executor_voice.card_text(request, to_meet(request), heading),
            executor_voice.card_buttons(request.id, take=request.status == Status.ASSIGNED,
                                        finish=request.status in OPEN_JOB))


def filing_photos(request: Request) -> list[RequestPhoto]:
    """The photos the resident sent with the request (not those of the conversation)."""
    return db.session.execute(
        select(RequestPhoto).where(RequestPhoto.request_id == request.id, RequestPhoto.message_id.is_(None))
        .order_by(RequestPhoto.id)
    ).scalars().all()


# --- what executors are sent -------------------------------------------------------------------

def _queue(executor: Executor, request: Request, text: str, **content) -> None:
    outbox.queue(executor.telegram_chat_id, text, kind="executor", priority=outbox.URGENT, request_id=request.id,
                 **content)


def send_job(executor: Executor, request: Request, heading: str = executor_voice.NEW_JOB) -> None:
    """The resident's photos, then the card with its buttons (last, so they are at hand)."""
    photos = filing_photos(request)
    for n, photo in enumerate(photos, start=1):
        source = outbox.telegram_photo(photo.telegram_file_id) if photo.telegram_file_id else photo.file_path
        if source:
            _queue(executor, request, executor_voice.resident_photo(request.number, n, len(photos)), photo=source)
    text, buttons = card(request, heading)
    _queue(executor, request, text, buttons=buttons)


def assigned(request: Request, previous: Executor | None) -> None:
    """The request's executor changed (the caller has set it): tell the new one and the one it was taken from."""
    if previous is not None and previous.in_telegram and previous.id != request.executor_id \
            and request.status in OPEN_JOB:
        _queue(previous, request, executor_voice.taken_away(request.number, reassigned=True))
    executor = request.executor
    if executor is not None and executor.in_telegram and request.status in (Status.NEW, *OPEN_JOB):
        send_job(executor, request)


def status_moved(request: Request, before: Status, after: Status, actor_label: str, comment: str = "",
                 by_executor: bool = False) -> None:
    """Someone else moved the executor's job: back to «новая» takes it away; any other move is news,
    with the card again when the job is open once more (a resident returned the work)."""
    executor = request.executor
    if by_executor or executor is None or not executor.in_telegram:
        return
    if before == Status.NEW and after == Status.ASSIGNED:
        return  # the assignment itself: the job was just sent (assigned)
    if after == Status.NEW:
        if before in OPEN_JOB:
            _queue(executor, request, executor_voice.taken_away(request.number, reassigned=False))
        return
    if before not in OPEN_JOB and after not in OPEN_JOB and before != Status.DONE:
        return  # closed ↔ archived: nothing the executor does
    if after in OPEN_JOB:
        text, buttons = card(request)
        _queue(executor, request, executor_voice.status_news(request.number, after.label, actor_label, comment, text),
               buttons=buttons)
    else:
        _queue(executor, request, executor_voice.status_news(request.number, after.label, actor_label, comment))


def delivery(request: Request) -> tuple[str, str] | None:
    """What became of the newest message about the request to its executor's chat, for the request
    page: (outbox state, as staff are told); None if the executor was sent nothing about it."""
    executor = request.executor
    if executor is None or not executor.in_telegram:
        return None
    row = db.session.execute(
        select(Notification).where(Notification.request_id == request.id, Notification.kind == "executor",
                                   Notification.chat_id == executor.telegram_chat_id)
        .order_by(Notification.id.desc()).limit(1)
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.status == outbox.FAILED and row.failure == "blocked":
        return row.status, "не доставлено: исполнитель заблокировал бота"
    return row.status, outbox.state_text(row)


# --- what an executor's buttons may act on ---------------------------------------------------

def job_of(request_id: int, executor: Executor, lock: bool = False) -> Request:
    """The request a button names, if it is the executor's open job now; JobError says why not."""
    request = locked(Request, request_id) if lock else db.session.get(Request, request_id)
    if request is None or request.executor_id != executor.id:
        raise JobError(executor_voice.not_your_job(request.number if request is not None else None))
    if request.status not in OPEN_JOB:
        raise JobError(executor_voice.job_not_open(request.number, request.status_label))
    return request


def _open(executor: Executor) -> tuple:
    return Request.executor_id == executor.id, Request.status.in_(OPEN_JOB)


def count_open(executor: Executor) -> int:
    return db.session.execute(select(func.count()).select_from(Request).where(*_open(executor))).scalar_one()


def open_jobs(executor: Executor, limit: int = LISTED) -> list[Request]:
    """The executor's open jobs, the nearest deadline first (those without one last, oldest first)."""
    return db.session.execute(
        select(Request).where(*_open(executor))
        .order_by(nulls_last(Request.due_at.asc()), Request.created_at, Request.id).limit(limit)
    ).scalars().all()
