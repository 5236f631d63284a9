"""One status for all: moving an incident moves every linked open request through the request lifecycle.

The incident's row is locked first, then its open requests (in id order, re-read: a manual move that
committed meanwhile is seen). Each request walks from the status it has now to the incident's target
(statuses.request_path) through app.services.requests.lifecycle, so its history, deadlines, counters and
verdict follow the usual rules; a request already there is not moved, and its resident is not told again.

Residents hear of a move once each: one outbox message per Telegram chat naming all their moved
requests, with the incident's note. «устранена» is the exception that keeps the rule of every done
request: each request's resident gets its own «Проблема решена?» (with the note), and a «Нет» returns
only that request to work (the incident shows it as flagged: returned_count).

The whole move is one transaction: at 2 000 linked requests it commits in well under the 2 s the
issue allows (bench/incidents.py), so nothing half-moved is ever seen.
"""
from sqlalchemy import func, select

from app import gc_pause
from app.database import locked
from app.extensions import db
from app.models import Incident, IncidentEvent, Request, utcnow
from app.models.conversation import Verdict
from app.models.incidents import IncidentStatus
from app.services.incidents import statuses
from app.services.messaging import outbox
from app.services.requests import lifecycle
from app.services.requests.lifecycle import RequestError
from app.services.requests.statuses import OPEN, Status
from app.services.statistics import request_stats
from app.telegram import executor as executor_voice
from app.telegram import resident as resident_voice

NOTE_MAX = 1000


class IncidentError(ValueError):
    """A change the rules forbid; the message is shown to the user as is."""


def actor_fields(actor) -> dict:
    return {"actor_id": getattr(actor, "id", None), "actor_label": getattr(actor, "display_name", "")}


def lock(incident_id: int) -> Incident | None:
    return locked(Incident, incident_id)


def open_requests(incident: Incident, lock_rows: bool = True) -> list[Request]:
    """The incident's requests still open, in id order; locked (and re-read) for a change."""
    stmt = select(Request).where(Request.incident_id == incident.id, Request.status.in_([s.value for s in OPEN])) \
        .order_by(Request.id)
    if lock_rows:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return db.session.execute(stmt).scalars().all()


def returned_count(incident: Incident) -> int:
    """Linked requests whose resident answered «Нет» after «устранена» and that are not done again."""
    return db.session.execute(select(func.count(Request.id)).where(
        Request.incident_id == incident.id, Request.verdict == Verdict.RETURNED.value,
        Request.status == Status.IN_PROGRESS.value)).scalar_one()


def bring(request: Request, incident: Incident, target: Status, actor, comment: str, *, ask: bool) -> bool:
    """Walk one request to `target` (setting the incident's executor on it first when it needs one);
    True if it moved. The resident is not told here, except by the question of a final «выполнена»
    (`ask`)."""
    path = statuses.request_path(request.status, target)
    if not path:
        return False
    executor = incident.executor
    if executor is not None and request.executor_id != executor.id:
        lifecycle.assign_executor(request, executor, actor, comment, notify=False, executor_news=False)
        path = statuses.request_path(request.status, target)
    for step in path:
        lifecycle.change_status(request, step.value, actor, comment, notify=ask and step == target,
                                executor_news=False)
    return True


def move(incident: Incident, target: str, actor, note: str = "") -> int:
    """Move the (locked) incident and its open requests; returns how many requests moved."""
    with gc_pause.paused():  # thousands of ORM objects alive until the commit: no collections meanwhile
        moved = _move(incident, target, actor, note)
        db.session.flush()  # written here, so the caller's commit has nothing left to build
    return moved


def _move(incident: Incident, target: str, actor, note: str) -> int:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise IncidentError(f"Комментарий длиннее {NOTE_MAX} символов.")
    try:
        goal = IncidentStatus(target)
    except ValueError:
        raise IncidentError("Неизвестный статус аварии.") from None
    current = IncidentStatus(incident.status)
    if not statuses.can_move(current, goal):
        raise IncidentError(f"Нельзя перевести аварию из статуса «{current.label}» в «{goal.label}».")
    request_target = statuses.REQUEST_TARGET[goal]
    requests = open_requests(incident)
    if incident.executor is None and request_target != Status.CLOSED and goal != IncidentStatus.OPEN \
            and any(r.executor_id is None for r in requests):
        raise IncidentError("Сначала назначьте аварии исполнителя: заявки по ней перейдут к нему.")
    now = utcnow()
    comment = resident_voice.incident_comment(incident.number, note)
    ask = request_target == Status.DONE
    moved: list[Request] = []
    with request_stats.batched():  # the dashboard's counters: one write for all the requests
        for request in requests:
            if goal == IncidentStatus.OPEN and incident.executor is None and request.status == Status.NEW:
                continue  # nobody to assign it to yet
            try:
                if bring(request, incident, request_target, actor, comment, ask=ask):
                    moved.append(request)
            except RequestError as error:
                raise IncidentError(f"Заявка № {request.number}: {error}") from None
    incident.status, incident.note, incident.updated_at = goal.value, note, now
    incident.closed_at = now if goal == IncidentStatus.CLOSED else None
    db.session.add(IncidentEvent(incident_id=incident.id, created_at=now, kind="status", from_status=current.value,
                                 to_status=goal.value, comment=note, **actor_fields(actor)))
    if not ask:
        _tell_residents(incident, moved, request_target, note)
    _tell_executor(incident, goal, len(requests), note)
    return len(moved)


def _tell_residents(incident: Incident, moved: list[Request], target: Status, note: str) -> None:
    """One message per chat, naming all of its moved requests."""
    chats: dict[int, list[Request]] = {}
    for request in moved:
        if request.author_chat_id is not None:
            chats.setdefault(request.author_chat_id, []).append(request)
    outbox.queue_many(((chat_id, resident_voice.incident_news([r.number for r in own], target.label,
                                                              incident.number, note), own[0].id)
                       for chat_id, own in chats.items()), kind="status", priority=outbox.URGENT)


def _tell_executor(incident: Incident, goal: IncidentStatus, count: int, note: str) -> None:
    executor = incident.executor
    if executor is None or not executor.in_telegram:
        return
    outbox.queue(executor.telegram_chat_id,
                 executor_voice.incident_news(incident.number, incident.category_text, incident.address_text,
                                              goal.label, count, note),
                 kind="executor", priority=outbox.URGENT)
