"""The figures of «Сводка»: what the requests filed in a period of local days (of one category, or
all) came to. Each figure is described once here, with its chart and its table; the page draws them
(static/dashboard.js), the JSON endpoint and the Excel file carry them.

They add up the counters of app/models/stats.py (kept by app.services.statistics.request_stats): the whole
months of the period, the whole weeks left, the days left, so a year of a million requests takes
some thousands of rows; only what depends on the clock (overdue now) is read from the requests
themselves, through the index of the pending deadlines. Time to done is a
nearest-rank percentile (the value at rank ⌈p·n⌉) rounded to the nearest step of the precision the
counters keep (request_stats.duration_bucket, stated on the page and in the Excel file); tests/dashboard
check every figure against plain SQL.
"""
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select

from app.extensions import db
from app.models import Category, Executor, Request, RequestAddress, RequestCount, RequestDuration, RequestRating
from app.models.stats import ALL, DAY, NO_EXECUTOR
from app.services.requests import conversation
from app.services.requests import deadlines
from app.services.requests import durations
from app.services.statistics.request_stats import PRECISION_TEXT, cover
from app.services.requests.statuses import Status
from app.timezone import local_midnight

TOP_ADDRESSES = 10
TOP_INCIDENTS = 15
# What a table column holds: its cells are kept as values of that kind (a count, minutes, a share
# 0..1, a mean rating, a date) and told as text for the page (cell_text); the Excel file writes
# them as numbers with a number format (app/dashboard/workbook.py).
TEXT, COUNT, DURATION, SHARE, RATING, DATE = "text", "count", "duration", "share", "rating", "date"
NO_EXECUTOR_NAME = "— не назначен —"
IN_WORK = (Status.ASSIGNED.value, Status.IN_PROGRESS.value)


@dataclass(frozen=True)
class Period:
    start: date                     # the first local day
    end: date                       # the last local day (included)
    category_id: int | None = None  # None: every category

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass
class Chart:
    key: str
    title: str
    sheet: str                      # its sheet in the Excel file (31 characters at most)
    kind: str                       # bar, stacked, hbar, doughnut (static/dashboard.js)
    labels: list[str]
    series: list[dict]              # {"name", "values", optional "texts" shown instead of the values}
    columns: list[str]              # the table under the chart
    kinds: list[str]                # each column's kind (TEXT, COUNT...)
    rows: list[list]                # values of those kinds
    unit: str = ""                  # what the values measure, for the axis
    note: str = ""
    top: float | None = None        # the value axis' end, when the values have one (a rating: 5)

    def as_dict(self) -> dict:
        return {"key": self.key, "title": self.title, "kind": self.kind, "labels": self.labels,
                "series": self.series, "unit": self.unit, "note": self.note, "top": self.top,
                "table": {"columns": self.columns,
                          "rows": [[cell_text(kind, value) for kind, value in zip(self.kinds, row)]
                                   for row in self.rows]}}


@dataclass
class Figures:
    period: Period
    category_name: str
    tiles: list[dict] = field(default_factory=list)   # {"key", "title", "kind", "value", "text"}
    charts: list[Chart] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat(),
                           "category": self.period.category_id, "category_name": self.category_name},
                "tiles": self.tiles, "charts": [chart.as_dict() for chart in self.charts]}


def compute(period: Period, tz) -> Figures:
    categories = dict(db.session.execute(Category.ordered(Category.id, Category.name)).all())
    executors = {**dict(db.session.execute(Executor.ordered(Executor.id, Executor.full_name)).all()),
                 NO_EXECUTOR: NO_EXECUTOR_NAME}
    figures = Figures(period, categories.get(period.category_id, "все категории"))

    outcomes = _outcomes(period)
    overdue = _overdue_now(period, tz)
    chosen = [period.category_id] if period.category_id is not None else list(categories)
    by_category = _histograms(period, RequestDuration.category_id, RequestDuration.minutes,
                              RequestDuration.category_id.in_(chosen), RequestDuration.executor_id == ALL)
    by_executor = _histograms(period, RequestDuration.executor_id, RequestDuration.minutes,
                              RequestDuration.executor_id.in_(list(executors)),
                              RequestDuration.category_id == (period.category_id or ALL))
    ratings = _histograms(period, RequestRating.executor_id, RequestRating.rating,
                          RequestRating.executor_id.in_(list(executors)),
                          RequestRating.category_id == (period.category_id or ALL))
    stars = sum(ratings.values(), Counter())
    filed = sum(outcomes.values())
    in_work = sum(n for (_, status, *_), n in outcomes.items() if status in IN_WORK)
    done = sum(n for (_, _, is_done, *_), n in outcomes.items() if is_done)
    median = percentile(sum(by_category.values(), Counter()), 0.5)
    figures.tiles = [_tile(key, title, kind, value) for key, title, kind, value in (
        ("filed", "Поступило", COUNT, filed),
        ("in_work", "В работе", COUNT, in_work),
        ("overdue", "Просрочено сейчас", COUNT, sum(overdue.values())),
        ("done", "Выполнено", COUNT, done),
        ("median", "Медиана до выполнения", DURATION, median),
        ("rating", "Средняя оценка жителей", RATING, _mean(stars)),
    )]
    figures.charts = [
        _intake(period, categories),
        _statuses(outcomes),
        _times("time_by_category", "Время до выполнения по категориям", "Срок по категориям", "Категория",
               by_category, categories),
        _times("time_by_executor", "Время до выполнения по исполнителям", "Срок по исполнителям", "Исполнитель",
               by_executor, executors),
        _overdue_share(outcomes, overdue, executors),
        _addresses(period),
        _ratings(stars),
        _ratings_by_executor(ratings, executors),
        _incidents(period, tz),
    ]
    return figures


def _tile(key: str, title: str, kind: str, value) -> dict:
    return {"key": key, "title": title, "kind": kind, "value": value, "text": str(cell_text(kind, value))}


def _in_category(column, period: Period) -> list:
    return [column == period.category_id] if period.category_id is not None else []


def _covering(table, period: Period, *conditions):
    """The table's counters of the period's whole months, whole weeks and days (request_stats.cover);
    `conditions` go into each range, so that the index finds each one."""
    return or_(*(and_(table.grain == grain, table.day >= first, table.day <= last, *conditions)
                 for grain, first, last in cover(period.start, period.end)))


# --- what the counters say ------------------------------------------------------------

def _outcomes(period: Period) -> Counter:
    """(executor, status, done, deadline, late) -> requests filed in the period."""
    rows = db.session.execute(
        select(RequestCount.executor_id, RequestCount.status, RequestCount.done, RequestCount.deadline,
               RequestCount.late, func.sum(RequestCount.n))
        .where(_covering(RequestCount, period, *_in_category(RequestCount.category_id, period)))
        .group_by(RequestCount.executor_id, RequestCount.status, RequestCount.done, RequestCount.deadline,
                  RequestCount.late)).all()
    return Counter({tuple(row[:5]): row[5] for row in rows if row[5]})


def _histograms(period: Period, key, value, *conditions) -> dict[int, Counter]:
    """`key` (a category or an executor) -> {`value` (minutes to done, a rating): requests}, from the
    counters of the value's table that `conditions` pick."""
    table = value.class_
    rows = db.session.execute(
        select(key, value, func.sum(table.n))
        .where(_covering(table, period, *conditions))
        .group_by(key, value)).all()
    out = defaultdict(Counter)
    for name, measure, n in rows:
        if n:
            out[name][measure] += n
    return out


def percentile(histogram: Counter, share: float) -> int | None:
    """The nearest-rank percentile of a {value: count} histogram."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = max(1, math.ceil(share * total)), 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return None


def _overdue_now(period: Period, tz) -> Counter:
    """(executor, already met a deadline late) -> requests of the period late now. Few: only open
    requests have a pending deadline, and its index finds them."""
    # The pending deadlines first (MATERIALIZED): SQLite cannot tell that they are few and would
    # read every request of the period instead.
    late = (select(Request.created_at, Request.category_id, Request.executor_id, Request.late_minutes)
            .where(deadlines.OVERDUE).cte("late_now").prefix_with("MATERIALIZED"))
    rows = db.session.execute(
        select(late.c.executor_id, late.c.late_minutes, func.count())
        .where(late.c.created_at >= local_midnight(period.start, tz),
               late.c.created_at < local_midnight(period.end + timedelta(days=1), tz),
               *_in_category(late.c.category_id, period))
        .group_by(late.c.executor_id, late.c.late_minutes)).all()
    out = Counter()
    for executor, late_minutes, n in rows:
        out[(executor or NO_EXECUTOR, (late_minutes or 0) > 0)] += n
    return out


# --- the charts -----------------------------------------------------------------------

def _intake(period: Period, categories: dict[int, str]) -> Chart:
    rows = db.session.execute(
        select(RequestCount.day, RequestCount.category_id, func.sum(RequestCount.n))
        .where(RequestCount.grain == DAY, RequestCount.day >= period.start, RequestCount.day <= period.end,
               *_in_category(RequestCount.category_id, period))
        .group_by(RequestCount.day, RequestCount.category_id)).all()
    counts = Counter({(day, category): n for day, category, n in rows})
    shown = [c for c in categories if any(counts[(day, c)] for day in period.days)]
    days = period.days
    return Chart(
        "intake", "Поступление заявок по дням", "Поступление", "stacked", [f"{d:%d.%m}" for d in days],
        [{"name": categories[c], "values": [counts[(d, c)] for d in days]} for c in shown],
        ["День", *(categories[c] for c in shown), "Всего"], [DATE, *(COUNT for _ in shown), COUNT],
        [[d, *(counts[(d, c)] for c in shown), sum(counts[(d, c)] for c in shown)] for d in days],
        unit="заявок")


def _statuses(outcomes: Counter) -> Chart:
    by_status = Counter()
    for (_, status, *_), n in outcomes.items():
        by_status[status] += n
    total = sum(by_status.values())
    statuses = list(Status)
    return Chart(
        "statuses", "Статусы поступивших заявок сейчас", "Статусы", "doughnut", [s.label for s in statuses],
        [{"name": "Заявок", "values": [by_status[s.value] for s in statuses]}],
        ["Статус", "Заявок", "Доля"], [TEXT, COUNT, SHARE],
        [[s.label, by_status[s.value], _share(by_status[s.value], total)] for s in statuses])


def _times(key: str, title: str, sheet: str, who: str, histograms: dict[int, Counter],
           names: dict[int, str]) -> Chart:
    shown = [k for k in names if histograms.get(k)]
    medians = [percentile(histograms[k], 0.5) for k in shown]
    p90s = [percentile(histograms[k], 0.9) for k in shown]
    return Chart(
        key, title, sheet, "bar" if key == "time_by_category" else "hbar", [names[k] for k in shown],
        [{"name": "Медиана", "values": [_hours(m) for m in medians], "texts": [durations.text(m) for m in medians]},
         {"name": "90-й процентиль", "values": [_hours(p) for p in p90s], "texts": [durations.text(p) for p in p90s]}],
        [who, "Выполнено", "Медиана", "90-й процентиль"], [TEXT, COUNT, DURATION, DURATION],
        [[names[k], sum(histograms[k].values()), m, p] for k, m, p in zip(shown, medians, p90s)],
        unit="часов", note="Медиана: половина заявок выполнена быстрее; 90-й процентиль: девять из десяти. "
                           + PRECISION_TEXT)


def _overdue_share(outcomes: Counter, overdue: Counter, names: dict[int, str]) -> Chart:
    """Per executor: of the requests with a deadline, the share late now or met late."""
    with_deadline, late = Counter(), Counter()
    for (executor, _, _, deadline, was_late), n in outcomes.items():
        if deadline:
            with_deadline[executor] += n
            late[executor] += n if was_late else 0
    for (executor, was_late), n in overdue.items():
        late[executor] += 0 if was_late else n  # late now, not counted as met late already
    shown = [k for k in names if with_deadline[k]]
    return Chart(
        "overdue_by_executor", "Доля просроченных заявок по исполнителям", "Просрочка по исполнителям", "hbar",
        [names[k] for k in shown],
        [{"name": "Просрочено, %", "values": [round(100 * late[k] / with_deadline[k], 1) for k in shown]}],
        ["Исполнитель", "Заявок со сроком", "Просрочено", "Доля"], [TEXT, COUNT, COUNT, SHARE],
        [[names[k], with_deadline[k], late[k], _share(late[k], with_deadline[k])] for k in shown],
        unit="%", note="Просрочена: срок нарушен при выполнении или истёк сейчас.")


def _addresses(period: Period) -> Chart:
    total = func.sum(RequestAddress.n)
    rows = db.session.execute(
        select(RequestAddress.address, total)
        .where(_covering(RequestAddress, period, RequestAddress.category_id == (period.category_id or ALL)))
        .group_by(RequestAddress.address)
        .having(total > 0).order_by(total.desc(), RequestAddress.address).limit(TOP_ADDRESSES)).all()
    return Chart(
        "addresses", f"Адреса с наибольшим числом заявок (первые {TOP_ADDRESSES})", "Адреса", "hbar",
        [address or "адрес не указан" for address, _ in rows],
        [{"name": "Заявок", "values": [n for _, n in rows]}],
        ["Адрес", "Заявок"], [TEXT, COUNT], [[address or "адрес не указан", n] for address, n in rows],
        unit="заявок")


def _incidents(period: Period, tz) -> Chart:
    """Incidents created in the period (of the category) and how many requests each absorbed, the biggest
    first; the note gives the totals. Read from `incidents` itself: a few rows a month."""
    from app.models import Incident
    from app.models.incidents import INCIDENT_LABELS, IncidentStatus
    linked = select(Request.incident_id, func.count(Request.id).label("n")).group_by(Request.incident_id).subquery()
    rows = db.session.execute(
        select(Incident.number, Category.name, Incident.status, func.coalesce(linked.c.n, 0))
        .join(Category, Category.id == Incident.category_id)
        .outerjoin(linked, linked.c.incident_id == Incident.id)
        .where(Incident.created_at >= local_midnight(period.start, tz),
               Incident.created_at < local_midnight(period.end + timedelta(days=1), tz),
               *_in_category(Incident.category_id, period))
        .order_by(func.coalesce(linked.c.n, 0).desc(), Incident.number)).all()
    shown = rows[:TOP_INCIDENTS]
    labels = [f"№ {number} · {name}" for number, name, _, _ in shown]
    return Chart(
        "incidents", f"Аварии и поглощённые ими заявки (первые {TOP_INCIDENTS})", "Аварии", "hbar", labels,
        [{"name": "Заявок", "values": [n for *_, n in shown]}],
        ["Авария", "Статус", "Заявок"], [TEXT, TEXT, COUNT],
        [[label, INCIDENT_LABELS[IncidentStatus(status)], n] for label, (_, _, status, n) in zip(labels, shown)],
        unit="заявок", note=f"Аварий за период: {len(rows)}, заявок в них: {sum(n for *_, n in rows)}.")


def _ratings(stars: Counter) -> Chart:
    total = sum(stars.values())
    return Chart(
        "ratings", "Оценки жителей", "Оценки", "bar", [f"{n} ★" for n in conversation.RATINGS],
        [{"name": "Оценок", "values": [stars[n] for n in conversation.RATINGS]}],
        ["Оценка", "Оценок", "Доля"], [COUNT, COUNT, SHARE],
        [[n, stars[n], _share(stars[n], total)] for n in conversation.RATINGS],
        unit="оценок", note="Житель ставит оценку, подтвердив в боте, что проблема решена.")


def _ratings_by_executor(ratings: dict[int, Counter], names: dict[int, str]) -> Chart:
    shown = [k for k in names if ratings.get(k)]
    low = min(conversation.RATINGS) + 1  # 1 and 2: the ratings worth a call back
    return Chart(
        "ratings_by_executor", "Средняя оценка по исполнителям", "Оценки по исполнителям", "hbar",
        [names[k] for k in shown],
        [{"name": "Средняя оценка", "values": [round(_mean(ratings[k]), 2) for k in shown]}],
        ["Исполнитель", "Оценок", "Средняя оценка", f"Оценок 1–{low}"], [TEXT, COUNT, RATING, COUNT],
        [[names[k], sum(ratings[k].values()), _mean(ratings[k]),
          sum(n for stars, n in ratings[k].items() if stars <= low)] for k in shown],
        unit="из 5", top=max(conversation.RATINGS))


def _mean(histogram: Counter) -> float | None:
    total = sum(histogram.values())
    return sum(value * n for value, n in histogram.items()) / total if total else None


def _hours(minutes: int | None) -> float | None:
    return round(minutes / 60, 1) if minutes is not None else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def cell_text(kind: str, value):
    """A table cell or a tile as the page shows it: counts as they are; «3 ч 20 мин», «83,0 %», «4,3»
    (a Russian decimal comma), «05.03.2024»; «—» for none."""
    if value is None:
        return "—"
    if kind == DURATION:
        return durations.text(value)
    if kind == SHARE:
        return f"{100 * value:.1f} %".replace(".", ",")
    if kind == RATING:
        return f"{value:.1f}".replace(".", ",")
    if kind == DATE:
        return f"{value:%d.%m.%Y}"
    return value
