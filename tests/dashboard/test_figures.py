"""«Сводка»'s figures (the JSON the page draws) equal the same figures computed here by plain SQL over
the requests, for periods with and without whole months, with and without a category; the counters
kept by the request service equal those recounted by `flask rebuild-stats`."""
import math
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Category, Executor, Request
from app.models.reference import format_address
from app.services.requests import durations
from app.services.requests import lifecycle as request_service
from app.models.stats import DAY, MONTH, WEEK
from app.services.statistics.request_stats import cover, duration_bucket, unit
from app.services.requests.statuses import Status
from app.timezone import local_midnight
from tests.clock import Clock
from tests.dashboard.seed import NOW, STREETS

PERIODS = [
    (date(2024, 1, 20), date(2024, 4, 5)),   # a partial month, two whole ones, a partial one
    (date(2024, 2, 1), date(2024, 3, 31)),   # whole months only
    (date(2024, 2, 10), date(2024, 2, 20)),  # inside a month
    (date(2024, 1, 31), date(2024, 2, 1)),   # over a month's end
    (date(2024, 3, 15), date(2024, 4, 5)),   # two partial months
    (date(2024, 4, 5), date(2024, 4, 5)),    # one day
]


def plain(period, category_id, tz) -> dict:
    """The dashboard's figures from the requests themselves."""
    start, end = period
    rows = db.session.execute(
        select(Request).where(Request.created_at >= local_midnight(start, tz),
                              Request.created_at < local_midnight(end + timedelta(days=1), tz),
                              *([Request.category_id == category_id] if category_id else []))).scalars().all()
    categories = dict(db.session.execute(select(Category.id, Category.name)).all())
    executors = {**dict(db.session.execute(select(Executor.id, Executor.full_name)).all()), None: "— не назначен —"}
    done = [r for r in rows if r.status in ("done", "closed", "archived") and r.done_at is not None]
    minutes = [(r, exact_minutes(r)) for r in done]

    def times(key):
        by = defaultdict(list)
        for r, m in minutes:
            by[key(r)].append(m)
        return {name: (len(values), exact(values, 0.5), exact(values, 0.9)) for name, values in by.items()}

    late_now = [r for r in rows if r.due_at is not None and r.due_at < NOW]
    with_deadline = Counter(executors[r.executor_id] for r in rows
                            if r.reaction_due_at is not None or r.completion_due_at is not None)
    late = Counter(executors[r.executor_id] for r in rows if (r.late_minutes or 0) > 0 or r in late_now)
    all_minutes = [m for _, m in minutes]
    rated = [r for r in rows if r.rating is not None]
    by_executor = defaultdict(list)
    for r in rated:
        by_executor[executors[r.executor_id]].append(r.rating)
    return {
        "tiles": {"filed": len(rows), "in_work": sum(r.status in ("assigned", "in_progress") for r in rows),
                  "overdue": len(late_now), "done": len(done),
                  "median": documented(_exact(all_minutes, 0.5)) if all_minutes else None,
                  "rating": sum(r.rating for r in rated) / len(rated) if rated else None},
        "intake": Counter((r.created_at.astimezone(tz).strftime("%d.%m.%Y"), categories[r.category_id]) for r in rows),
        "statuses": Counter(Status(r.status).label for r in rows),
        "time_by_category": times(lambda r: categories[r.category_id]),
        "time_by_executor": times(lambda r: executors[r.executor_id]),
        "overdue_by_executor": {name: (n, late[name]) for name, n in with_deadline.items()},
        "addresses": Counter(format_address(r.city, r.street, r.house, r.house_letter, "") for r in rows),
        "ratings": Counter(r.rating for r in rated),
        "ratings_by_executor": {name: (len(values), f"{sum(values) / len(values):.1f}".replace(".", ","),
                                       sum(v <= 2 for v in values)) for name, values in by_executor.items()},
    }


def exact_minutes(request) -> int:
    """Filed to done in whole minutes, the nearest one (half a minute up)."""
    return int(((request.done_at - request.created_at).total_seconds() + 30) // 60)


def _exact(values, share):
    """The nearest-rank percentile of the exact minutes."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def documented(minutes: int) -> int:
    """`minutes` as README says «Сводка» tells time to done: to the minute under an hour, to 10 minutes
    under a day, to the hour under a week, then in days (a year at most), the nearest step half up."""
    step = 1 if minutes < 60 else 10 if minutes < 1440 else 60 if minutes < 7 * 1440 else 1440
    return min(365 * 1440, (minutes + step // 2) // step * step)


def exact(values, share) -> str:
    """... as the dashboard shows it: rounded to the nearest step of the documented precision."""
    return durations.text(documented(_exact(values, share)))


def shown(staff, period, category_id) -> dict:
    start, end = period
    url = f"/dashboard/data?from={start}&to={end}" + (f"&category={category_id}" if category_id else "")
    data = staff.get(url).get_json()
    assert data["errors"] == {}
    charts = {c["key"]: c for c in data["charts"]}
    table = {key: {row[0]: row[1:] for row in chart["table"]["rows"]} for key, chart in charts.items()}
    intake_columns = charts["intake"]["table"]["columns"][1:-1]
    return {
        "tiles": {tile["key"]: tile["value"] for tile in data["tiles"]},
        "intake": Counter({(day, name): n for day, counts in table["intake"].items()
                           for name, n in zip(intake_columns, counts) if n}),
        "statuses": Counter({label: n for label, (n, _) in table["statuses"].items() if n}),
        "time_by_category": {k: tuple(v) for k, v in table["time_by_category"].items()},
        "time_by_executor": {k: tuple(v) for k, v in table["time_by_executor"].items()},
        "overdue_by_executor": {k: tuple(v[:2]) for k, v in table["overdue_by_executor"].items()},
        "addresses": Counter({k: v[0] for k, v in table["addresses"].items()}),
        "ratings": Counter({stars: n for stars, (n, _) in table["ratings"].items() if n}),
        "ratings_by_executor": {k: tuple(v) for k, v in table["ratings_by_executor"].items()},
    }


def same_figures(staff, app, period, category_id):
    with app.app_context():
        expected = plain(period, category_id, app.config["TZ"])
    got = shown(staff, period, category_id)
    for key in ("tiles", "intake", "statuses", "time_by_category", "time_by_executor", "overdue_by_executor",
                "ratings", "ratings_by_executor"):
        assert got[key] == expected[key], (key, period, category_id)
    # The ten busiest houses: their counts, and the right count for each (ties may come in any order).
    top = sorted(expected["addresses"].values(), reverse=True)[:10]
    assert sorted(got["addresses"].values(), reverse=True) == top
    assert all(expected["addresses"][address] == n for address, n in got["addresses"].items())


@pytest.mark.parametrize("period", PERIODS)
def test_figures_equal_plain_sql(app, history, staff_client, period):
    staff = staff_client("operator")
    same_figures(staff, app, period, None)


def test_figures_of_each_category_equal_plain_sql(app, history, staff_client):
    staff = staff_client("operator")
    with app.app_context():
        ids = db.session.execute(select(Category.id)).scalars().all()
    for category_id in ids:
        for period in PERIODS[:3]:
            same_figures(staff, app, period, category_id)


def test_the_data_is_varied_enough_to_mean_something(app, history, staff_client):
    """Every figure of the whole period has something in it: late and in-time, done and open, emergencies."""
    figures = shown(staff_client("operator"), PERIODS[0], None)
    assert figures["tiles"]["filed"] == 150 and all(figures["tiles"].values())
    assert len(figures["statuses"]) == len(Status)
    assert len(figures["time_by_executor"]) == 3
    assert "— не назначен —" in figures["overdue_by_executor"]  # new requests wait for an executor
    assert any(late for _, late in figures["overdue_by_executor"].values())
    assert len(figures["addresses"]) == len(STREETS)
    assert len(figures["ratings"]) >= 3 and len(figures["ratings_by_executor"]) == 3
    with app.app_context():
        assert db.session.execute(select(Request).where(Request.emergency)).first() is not None


def test_rebuilt_counters_equal_those_kept_by_the_services(app, history, staff_client, runner):
    staff = staff_client("operator")
    before = [shown(staff, period, None) for period in PERIODS]
    result = runner.invoke(args=["rebuild-stats"])
    assert result.exit_code == 0 and "recounted from 150 requests" in result.output
    assert [shown(staff, period, None) for period in PERIODS] == before


@pytest.mark.app_config(TIMEZONE="Asia/Yekaterinburg")
def test_after_a_time_zone_change_the_rebuilt_figures_follow_the_new_days(app, history, staff_client, runner):
    """Filed and counted under one zone; recounted after TIMEZONE changed: the days are the new zone's."""
    staff = staff_client("operator")
    with app.app_context():  # the counters as a company in Moscow would have them
        from app.services.statistics import request_stats
        from app.timezone import zone
        request_stats.rebuild(db.session.connection(), zone("Europe/Moscow"))
        db.session.commit()
    runner.invoke(args=["rebuild-stats"])
    for period in PERIODS[:4]:
        same_figures(staff, app, period, None)


@pytest.mark.parametrize("start,end", [
    (date(2024, 1, 20), date(2024, 4, 5)), (date(2024, 2, 1), date(2024, 2, 29)), (date(2024, 2, 5), date(2024, 2, 11)),
    (date(2024, 2, 6), date(2024, 2, 11)), (date(2024, 1, 31), date(2024, 2, 1)), (date(2024, 3, 1), date(2025, 2, 28)),
    (date(2023, 12, 25), date(2024, 1, 7)), (date(2024, 6, 2), date(2025, 6, 1)), (date(2024, 4, 5), date(2024, 4, 5)),
])
def test_the_counters_read_for_a_period_cover_each_of_its_days_once(start, end):
    days = []
    for grain, first, last in cover(start, end):
        key = first
        while key <= last:
            size = {DAY: 1, WEEK: 7}.get(grain) or (unit(MONTH, key + timedelta(days=31)) - key).days
            assert unit(grain, key) == key
            days += [key + timedelta(days=i) for i in range(size)]
            key += timedelta(days=size)
    assert days == [start + timedelta(days=i) for i in range((end - start).days + 1)]
    # A year is read as its months, weeks and days: a handful of ranges, not 365 days.
    assert len(cover(start, end)) <= 7


def test_time_to_done_is_kept_at_the_documented_precision_rounded_to_the_nearest_step():
    """Every time to done up to a year and a bit: the counters' key is README's rounding, never more
    than half a step from the exact minutes (it used to be rounded down to 5 minutes, 30 minutes...)."""
    for minutes in range(0, 370 * 1440):
        shown = duration_bucket(minutes)
        assert shown == documented(minutes), minutes
        if minutes < 365 * 1440:
            step = 1 if minutes < 60 else 10 if minutes < 1440 else 60 if minutes < 7 * 1440 else 1440
            assert abs(shown - minutes) <= step / 2, minutes


def test_a_three_minute_job_shows_three_minutes(app, staff_client, ctx, monkeypatch):
    filed = datetime(2024, 3, 5, 9, 0, tzinfo=timezone.utc)
    clock = Clock(monkeypatch, filed)
    operator = ctx.staff("operator")
    request = ctx.request(category_obj=ctx.category("Сантехника", ()))
    clock.now = filed + timedelta(minutes=2, seconds=50)  # 2 min 50 s: the nearest minute is 3
    request_service.assign_executor(request, ctx.executor("Иванов"), operator)
    request_service.change_status(request, "in_progress", operator)
    request_service.change_status(request, "done", operator)
    db.session.commit()
    data = staff_client("operator").get("/dashboard/data?from=2024-03-01&to=2024-03-31").get_json()
    median = next(tile for tile in data["tiles"] if tile["key"] == "median")
    assert (median["value"], median["text"]) == (3, "3 мин")
    charts = {chart["key"]: chart for chart in data["charts"]}
    assert charts["time_by_category"]["table"]["rows"] == [["Сантехника", 1, "3 мин", "3 мин"]]
    assert charts["time_by_executor"]["table"]["rows"] == [["Иванов", 1, "3 мин", "3 мин"]]


def test_a_median_is_never_below_the_exact_one_by_more_than_half_a_step(app, history, staff_client):
    staff = staff_client("operator")
    with app.app_context():
        ids = [None, *db.session.execute(select(Category.id)).scalars()]
    checked = 0
    for category_id in ids:
        for start, end in PERIODS:
            url = f"/dashboard/data?from={start}&to={end}" + (f"&category={category_id}" if category_id else "")
            shown = next(t["value"] for t in staff.get(url).get_json()["tiles"] if t["key"] == "median")
            with app.app_context():
                tz = app.config["TZ"]
                done = db.session.execute(
                    select(Request).where(Request.created_at >= local_midnight(start, tz),
                                          Request.created_at < local_midnight(end + timedelta(days=1), tz),
                                          Request.status.in_(("done", "closed", "archived")),
                                          Request.done_at.is_not(None),
                                          *([Request.category_id == category_id] if category_id else []))
                ).scalars().all()
                if not done:
                    assert shown is None
                    continue
                exact_median = _exact([exact_minutes(r) for r in done], 0.5)
            step = 1 if exact_median < 60 else 10 if exact_median < 1440 else 60 if exact_median < 7 * 1440 else 1440
            assert exact_median - step / 2 <= shown <= exact_median + step / 2, (start, end, category_id)
            checked += 1
    assert checked >= 10
