"""Messages to the staff's Telegram group (STAFF_CHAT_ID): an emergency request, requests gone overdue,
the morning digest, and a done request left to the dispatcher (its resident wrote instead of answering
«Проблема решена?», or the question was not delivered).

All go through the outbox (priority ALERT, after residents' messages), each written in the transaction
of its cause, so none is lost or sent twice: an emergency with its filing (or its category correction);
an overdue alert with `alerted_due_at` set on the requests it names; a digest with its day in
`staff_digests`. The last two are the bot worker's timed jobs (app/bot/jobs.py). Without STAFF_CHAT_ID
nothing is written at all.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Request, StaffDigest, utcnow
from app.services.requests import deadlines
from app.services.requests import durations
from app.services.messaging import outbox
from app.services.people.phones import display_phone
from app.services.requests.statuses import OPEN, Status
from app.telegram import staff_chat
from app.timezone import local_midnight, local_now

# A deadline that passed longer ago than this is not alerted on its own (the chat was just set up, or
# the worker was down): the morning digest names it.
LOOKBACK = timedelta(days=1)
LISTED = 20  # requests named in one message; the rest are counted


def chat_id() -> int | None:
    return current_app.config.get("STAFF_CHAT_ID")


def _queue(text: str, kind: str, request_id: int | None = None) -> None:
    outbox.queue(chat_id(), text, kind=kind, priority=outbox.ALERT, request_id=request_id)


def link(request: Request) -> list[str]:
    """The request page's address as a line of its own, if WEB_URL says where the web app is (the
    worker has no web request to learn it from)."""
    base = current_app.config.get("WEB_URL")
    if not base:
        return []
    path = current_app.url_map.bind("localhost").build("journal.request_page", {"request_id": request.id})
    return [base + path]


def emergency(request: Request) -> None:
    """An emergency request was filed, or corrected into an emergency category."""
    if chat_id() is None:
        return
    _queue(staff_chat.emergency(request, display_phone(request.contact_phone), deadlines.lines(request, utcnow()),
                                link(request)), "alert", request.id)


def possible_incident(line: str, request_id: int) -> None:
    """N requests of one category from one house (app.services.incidents.early_warning): a kind of its
    own, beside the emergency alert the same request may have queued."""
    if chat_id() is None:
        return
    _queue(line, "possible_incident", request_id)


def resident_wrote(request: Request, text: str) -> None:
    """The resident wrote instead of answering «Проблема решена?»: the request waits for the dispatcher."""
    if chat_id() is None:
        return
    _queue(staff_chat.resident_wrote(request, text, link(request)), "alert", request.id)


def question_undelivered(request: Request, reason: str) -> None:
    """«Проблема решена?» did not reach the resident: the request waits for the dispatcher."""
    if chat_id() is None:
        return
    _queue(staff_chat.question_undelivered(request, reason, display_phone(request.contact_phone), link(request)),
           "alert", request.id)


def check_overdue(bot=None) -> None:
    """Job: tell the chat about requests whose nearest deadline passed since the last check."""
    if chat_id() is None:
        return
    now = utcnow()
    found = db.session.execute(
        select(Request).where(Request.due_at < now, Request.due_at >= now - LOOKBACK,
                              or_(Request.alerted_due_at.is_(None), Request.alerted_due_at != Request.due_at))
        .order_by(Request.due_at)).scalars().all()
    if not found:
        return
    items = []
    for request in found[:LISTED]:
        reaction = request.due_at == request.reaction_due_at and request.reacted_at is None
        late = durations.text(deadlines.late_minutes(now - request.due_at))
        executor = request.executor
        items.append(staff_chat.overdue_deadline(request, reaction, late, executor.full_name if executor else None))
    for request in found:
        request.alerted_due_at = request.due_at
    _queue(staff_chat.overdue(items, len(found)), "alert")


def send_digest(bot=None) -> None:
    """Job: once a day, from STAFF_DIGEST_HOUR local time on, yesterday's figures and what is overdue."""
    if chat_id() is None:
        return
    now = local_now()
    today = now.date()
    if now.hour < current_app.config["STAFF_DIGEST_HOUR"] or db.session.get(StaffDigest, today) is not None:
        return
    db.session.add(StaffDigest(day=today))
    db.session.flush()  # a second worker's digest for the day would stop here (primary key)
    _queue(digest_text(today), "digest")


def digest_text(today) -> str:
    start, end = local_midnight(today - timedelta(days=1)), local_midnight(today)

    def count(*conditions) -> int:
        return db.session.execute(select(func.count()).select_from(Request).where(*conditions)).scalar_one()

    filed = (Request.created_at >= start, Request.created_at < end)
    finished = [s.value for s in (Status.DONE, Status.CLOSED, Status.ARCHIVED)]
    overdue = db.session.execute(
        select(Request).where(deadlines.OVERDUE).order_by(Request.due_at).limit(LISTED)).scalars().all()
    overdue_count = count(deadlines.OVERDUE)
    now = utcnow()
    items = [staff_chat.Late(r, staff_chat.late_now(durations.text(deadlines.late_minutes(now - r.due_at))))
             for r in overdue]
    return staff_chat.digest(
        today, count(*filed), count(*filed, Request.emergency),
        count(Request.done_at >= start, Request.done_at < end, Request.status.in_(finished)),
        count(Request.status.in_([s.value for s in OPEN if s is not Status.DONE])), overdue_count, items)
