"""Deadlines: the norms of categories, the deadlines a request gets, met or missed, late or due soon.

Norms: a category has an «аварийная» flag, a reaction time (filed -> assigned or in work) and
a completion time (filed -> выполнена), in minutes (typed in minutes, hours or days); each value
a subcategory has overrides its category's. Deadlines are calendar time (elapsed minutes, nights
and holidays included) from the moment of filing, stored on the request when it is filed and
when its category is corrected: a later change of a norm does not rewrite history.

Met or missed, recorded as the status moves (app.services.requests.lifecycle calls record_move):
- the reaction happens when the request first leaves «новая», to whatever status (a duplicate
  closed at once was dealt with too); moving it back to «новая» does not undo it;
- the completion happens when it becomes «выполнена» (or is closed without work); reopening it
  takes the completion back, and the request owes it again;
- a deadline is met when that moment is not after it.
Derived and stored for the journal and the dashboard: `due_at`, the nearest deadline not yet met
(the one "overdue now" and "due soon" compare with the clock), and `late_minutes`, the worst
lateness of the deadlines met late.
"""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, or_, true

from app.database import seconds_between
from app.models import Request, utcnow
from app.models.base import UTCDateTime
from app.services.requests import durations
from app.services.requests.statuses import Status

SOON = timedelta(hours=1)  # "due soon": the journal highlights it, its filter finds it
FINISHED = frozenset({Status.DONE, Status.CLOSED, Status.ARCHIVED})


@dataclass(frozen=True)
class Norm:
    emergency: bool = False
    reaction: int | None = None    # minutes from filing
    completion: int | None = None


def norm_of(category, subcategory=None) -> Norm:
    """The category's norms with the subcategory's own values over them."""
    def pick(field):
        own = getattr(subcategory, field) if subcategory is not None else None
        return own if own is not None else getattr(category, field)
    return Norm(bool(pick("emergency")), pick("reaction_minutes"), pick("completion_minutes"))


def apply_norm(request, norm: Norm) -> None:
    """Set the request's deadlines from the norm and its filing time."""
    request.emergency = norm.emergency
    request.reaction_due_at = _after(request.created_at, norm.reaction)
    request.completion_due_at = _after(request.created_at, norm.completion)
    refresh(request)


def record_move(request, target: Status, now: datetime) -> None:
    """Record what entering `target` at `now` means for the deadlines."""
    if target is not Status.NEW and request.reacted_at is None:
        request.reacted_at = now
    if target not in FINISHED:
        request.completed_at = None
    elif request.completed_at is None:
        request.completed_at = now
    refresh(request)


def refresh(request) -> None:
    """Derive `due_at` and `late_minutes` from the deadlines and the moments they were met."""
    pairs = ((request.reaction_due_at, request.reacted_at), (request.completion_due_at, request.completed_at))
    request.due_at = min((due for due, met in pairs if due is not None and met is None), default=None)
    request.late_minutes = max((late_minutes(met - due) for due, met in pairs
                                if due is not None and met is not None and met > due), default=None)


def late_minutes(delta: timedelta) -> int:
    """Lateness in whole minutes, any part of a minute counting as one."""
    return math.ceil(delta.total_seconds() / 60)


def _after(start: datetime, minutes: int | None) -> datetime | None:
    return start + timedelta(minutes=minutes) if minutes is not None else None


# --- late or due soon, now ----------------------------------------------------------

def state(due_at: datetime | None, now: datetime) -> str:
    """"late", "soon" or "" for a request's nearest pending deadline (the journal's row classes)."""
    if due_at is None:
        return ""
    if due_at < now:
        return "late"
    return "soon" if due_at < now + SOON else ""


# The clock in SQL: taken when a statement runs (an export runs its statement later).
NOW = bindparam("deadline_now", type_=UTCDateTime, callable_=lambda: utcnow())
SOON_END = bindparam("deadline_soon", type_=UTCDateTime, callable_=lambda: utcnow() + SOON)

# The journal's filter «Просрочка»: value -> label.
FILTERS = {
    "overdue": "просроченные",
    "soon": "скоро срок (меньше часа)",
    "in_time": "в срок",
    "missed": "с нарушением срока (сейчас или раньше)",
    "emergency": "аварийные",
}


def condition(value: str, due=Request.due_at):
    """The SQL of a FILTERS value; `due` is what stands for `due_at` (see filters.DeadlineFilter)."""
    return {
        "overdue": due < NOW,
        "soon": and_(due >= NOW, due < SOON_END),
        "in_time": due >= SOON_END,
        "missed": or_(due < NOW, Request.late_minutes > 0),
        "emergency": Request.emergency == true(),
    }[value]


OVERDUE = condition("overdue")
# Seconds past the deadline: the nearest pending one against the clock (negative: time left),
# else how late the ones met were; NULL when nothing was or is late.
LATENESS = case((Request.due_at.is_not(None), seconds_between(NOW, Request.due_at)),
                else_=Request.late_minutes * 60)


def lateness_text(seconds: int | None) -> str:
    """The journal's «Просрочка» cell: «2 ч 15 мин» late, «осталось 40 мин», or nothing."""
    if seconds is None:
        return ""
    if seconds > 0:
        return durations.text(late_minutes(timedelta(seconds=seconds)))
    return "осталось " + (durations.text(-seconds // 60) if seconds <= -60 else "меньше минуты")


# --- the request page -----------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    title: str
    due: datetime
    state: str     # met / missed / late / soon / pending
    text: str


def lines(request, now: datetime) -> list[Line]:
    """The request's deadlines and where each stands, for the request page and the staff chat."""
    out = []
    for title, due, met in (("Срок реакции", request.reaction_due_at, request.reacted_at),
                            ("Срок выполнения", request.completion_due_at, request.completed_at)):
        if due is None:
            continue
        if met is not None:
            late = met > due
            out.append(Line(title, due, "missed" if late else "met",
                            f"нарушен на {durations.text(late_minutes(met - due))}" if late else "соблюдён"))
        elif (where := state(due, now)) == "late":
            out.append(Line(title, due, where, f"просрочен на {durations.text(late_minutes(now - due))}"))
        else:
            left = durations.text(int((due - now).total_seconds() // 60))
            out.append(Line(title, due, where or "pending", f"осталось {left}"))
    return out
