"""The dashboard's counters (app/models/stats.py), kept in step with the requests.

Each request counts once in each table, under the key its current state gives (`facts`).
app.services.requests.lifecycle wraps every change of a request in `tracking(request)`: the counters of
its old keys go down and those of its new keys up, in the change's transaction. `rebuild`
recounts everything from the requests (migration 0008, `flask rebuild-stats` after a change
of TIMEZONE, benchmarks); tests/dashboard checks that both give what plain SQL over the
requests gives.
"""
from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import Request
from app.models.reference import format_address
from app.models.stats import (ALL, DAY, MONTH, NO_EXECUTOR, WEEK, RequestAddress, RequestCount, RequestDuration,
                              RequestRating)
from app.models.status import Status
from app.timezone import local_tz

TABLES = (RequestCount, RequestDuration, RequestAddress, RequestRating)
GRAINS = (DAY, WEEK, MONTH)
DONE_STATUSES = frozenset({Status.DONE, Status.CLOSED, Status.ARCHIVED})
# Time to done is kept as the dashboard shows it (README, «Сводка»): below `limit` minutes, rounded to
# the nearest `step` minutes (half a step up, never down), so a shown figure is never more than half a
# step from the exact one. The page and the Excel file say so (PRECISION_TEXT).
PRECISION = ((60, 1), (1440, 10), (7 * 1440, 60), (365 * 1440, 1440))
LONGEST = PRECISION[-1][0]  # a year or more counts as a year
PRECISION_TEXT = ("Время до выполнения округлено до ближайшей минуты, если оно меньше часа; до 10 минут — "
                  "меньше суток; до часа — меньше недели; дальше — до суток.")
REBUILD_CHUNK = 20_000


def duration_bucket(minutes: int) -> int:
    """Minutes rounded to the nearest step of the dashboard's precision: 47 min, 5 h 40 min, 2 d 5 h, 12 d."""
    for limit, step in PRECISION:
        if minutes < limit:
            return min(LONGEST, (minutes + step // 2) // step * step)
    return LONGEST


# --- day, week, month -----------------------------------------------------------------

def unit(grain: str, day: date) -> date:
    """The day a counter of the grain that counts `day` is kept under: itself, its Monday, its 1st."""
    if grain == WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if grain == MONTH else day


def cover(start: date, end: date) -> list[tuple[str, date, date]]:
    """(grain, first, last key) ranges of counters covering the days start..end once each: the whole
    months, then the whole weeks of what is left, then its days."""
    after = end + timedelta(days=1)
    first_month = unit(MONTH, start) if start.day == 1 else unit(MONTH, unit(MONTH, start) + timedelta(days=31))
    after_months = unit(MONTH, after)
    if first_month >= after_months:
        return _weeks_and_days(start, end)
    last_month = unit(MONTH, after_months - timedelta(days=1))
    return [*_weeks_and_days(start, first_month - timedelta(days=1)), (MONTH, first_month, last_month),
            *_weeks_and_days(after_months, end)]


def _weeks_and_days(start: date, end: date) -> list[tuple[str, date, date]]:
    if start > end:
        return []
    monday = start + timedelta(days=-start.weekday() % 7)
    weeks = ((end - monday).days + 1) // 7
    if weeks <= 0:
        return [(DAY, start, end)]
    last_monday = monday + timedelta(weeks=weeks - 1)
    out = [(DAY, start, monday - timedelta(days=1))] if start < monday else []
    out.append((WEEK, monday, last_monday))
    if last_monday + timedelta(days=7) <= end:
        out.append((DAY, last_monday + timedelta(days=7), end))
    return out


def minutes_to_done(created_at: datetime, done_at: datetime) -> int:
    """Whole minutes, the nearest (half a minute up): 2 min 40 s counts as 3 min."""
    return max(0, int((done_at - created_at).total_seconds() + 30) // 60)


def done_bucket(created_at: datetime, done_at: datetime) -> int:
    """The key a done request is counted under in request_durations."""
    return duration_bucket(minutes_to_done(created_at, done_at))


def house_address(request) -> str:
    """The house a request is about: «г. Самара, ул. Ленина, д. 5А» (the flat left out)."""
    return format_address(request.city, request.street, request.house, request.house_letter, "")


def is_done(request) -> bool:
    """The work was done: «выполнена» or later, not closed without it."""
    return request.status in DONE_STATUSES and request.done_at is not None


@dataclass(frozen=True)
class Facts:
    """The request's keys in the tables (without the grain); no duration until it is done, no
    rating until the resident gives one."""

    count: tuple
    duration: tuple | None
    address: tuple
    rating: tuple | None = None


def facts(request, tz, bucket=done_bucket) -> Facts:
    """Works on a Request or on a row with the same column names (rebuild). `bucket` rounds the time to
    done (a migration going down recounts with the rounding of its time)."""
    day = request.created_at.astimezone(tz).date()
    executor = request.executor_id or NO_EXECUTOR
    done = is_done(request)
    deadline = request.reaction_due_at is not None or request.completion_due_at is not None
    count = (day, request.category_id, executor, request.status, done, deadline, (request.late_minutes or 0) > 0)
    duration = None
    if done:
        duration = (day, request.category_id, executor, bucket(request.created_at, request.done_at))
    rating = (day, request.category_id, executor, request.rating) if request.rating is not None else None
    return Facts(count, duration, (day, request.category_id, house_address(request)), rating)


def _rows(found: Facts) -> list[tuple]:
    """(table, key) of every counter the request adds one to: in each grain, and the totals over
    every category and over every executor."""
    out = []
    for grain in GRAINS:
        day, *rest = found.count
        out.append((RequestCount, (grain, unit(grain, day), *rest)))
        for table, fact in ((RequestDuration, found.duration), (RequestRating, found.rating)):
            if fact is not None:  # (day, category, executor, minutes or rating), one layout for both
                day, category, executor, value = fact
                out += [(table, (grain, c, e, unit(grain, day), value))
                        for c, e in ((category, executor), (ALL, executor), (category, ALL))]
        day, category, address = found.address
        out += [(RequestAddress, (grain, c, unit(grain, day), address)) for c in (category, ALL)]
    return out


# While batched() is on: the deltas of the requests changed so far, written once at its end.
_pending: ContextVar[Counter | None] = ContextVar("request_stats_pending", default=None)


@contextmanager
def batched():
    """Around a change of many requests in one transaction (an incident's move): their counters are
    added up and written once at the end, one statement per table instead of one per request."""
    token = _pending.set(Counter())
    try:
        yield
        deltas = _pending.get()
    finally:
        _pending.reset(token)
    _write(deltas)


def changed(before: Facts | None, after: Facts | None) -> None:
    """Move the request's counts from its old keys to its new ones (None: it did not / no longer exists)."""
    deltas = Counter()
    for found, sign in ((before, -1), (after, 1)):
        if found is not None:
            for table, key in _rows(found):
                deltas[(table, key)] += sign
    pending = _pending.get()
    if pending is not None:
        pending.update(deltas)
    else:
        _write(deltas)


def _write(deltas: Counter) -> None:
    # In one order in every transaction, so that two of them never wait for each other (PostgreSQL).
    ordered = sorted(((table, key, delta) for (table, key), delta in deltas.items() if delta),
                     key=lambda item: repr(item[1]))
    connection = db.session.connection()
    for table in TABLES:
        names = table.__table__.primary_key.columns.keys()
        rows = [{**dict(zip(names, key)), "n": delta} for t, key, delta in ordered if t is table]
        if rows:
            connection.execute(_upsert(connection.dialect.name, table), rows)


@cache
def _upsert(dialect: str, table):
    """INSERT a counter, or add to it if it is there (one statement per table, run for many rows)."""
    statement = (postgresql if dialect == "postgresql" else sqlite).insert(table.__table__)
    return statement.on_conflict_do_update(index_elements=table.__table__.primary_key.columns.keys(),
                                           set_={"n": table.__table__.c.n + statement.excluded.n})


@contextmanager
def tracking(request):
    """Around a change of an existing request: its counters follow it."""
    tz = local_tz()
    before = facts(request, tz)
    yield
    changed(before, facts(request, tz))


def added(request) -> None:
    """A request was filed."""
    changed(None, facts(request, local_tz()))


# --- recounting ---------------------------------------------------------------------

FACT_COLUMNS = (Request.created_at, Request.category_id, Request.executor_id, Request.status, Request.done_at,
                Request.reaction_due_at, Request.completion_due_at, Request.late_minutes,
                Request.city, Request.street, Request.house, Request.house_letter, Request.rating)


def rebuild(connection, tz, tables=TABLES, bucket=done_bucket) -> int:
    """Recount the tables (every one by default; a migration names those it adds or changes) from the
    requests, on `connection` (the caller commits); returns how many requests were counted."""
    counts = Counter()
    total = 0
    rows = connection.execute(select(*FACT_COLUMNS).execution_options(yield_per=REBUILD_CHUNK))
    for row in rows:
        for key in _rows(facts(row, tz, bucket)):
            if key[0] in tables:
                counts[key] += 1
        total += 1
    for table in tables:
        connection.execute(delete(table))
        names = table.__table__.primary_key.columns.keys()
        values = [{**dict(zip(names, key)), "n": n} for (t, key), n in counts.items() if t is table]
        for start in range(0, len(values), REBUILD_CHUNK):
            connection.execute(insert(table), values[start:start + REBUILD_CHUNK])
    return total
