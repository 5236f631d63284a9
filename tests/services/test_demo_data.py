"""`flask seed-demo`: a living demo database built through the real request services."""
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import (
    Category, Client, Executor, Notification, Request, RequestCount, RequestEvent, StaffUser, Subcategory, utcnow,
)
from app.services.requests import deadlines
from app.services.operations import demo_data
from app.services.people.phones import normalise_phone
from app.services.requests.statuses import Status
from tests import snapshot

SMALL = ["seed-demo", "--clients", "40", "--requests", "60"]


@pytest.fixture
def small_demo(runner, ctx):
    """`flask seed-demo` with SMALL in the test's fresh database: (exit code, output). Run once per
    engine in the whole run (tests/shared.py), its rows copied after that: the seed is deterministic
    (test_seed_is_deterministic runs it twice)."""
    result, built = snapshot.once(f"demo-small-{db.engine.dialect.name}", lambda: runner.invoke(args=SMALL),
                                  keep=lambda result: (result.exit_code, result.output))
    return (result.exit_code, result.output) if built else result


def _count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_seed_demo_builds_a_consistent_database(small_demo):
    exit_code, output = small_demo
    assert exit_code == 0, output
    assert "40 clients" in output and "60 requests" in output
    assert _count(Client) == 40 and _count(Request) == 60
    names = db.session.execute(select(Category.name).order_by(Category.sort_order)).scalars().all()
    assert names == ["Сантехника", "Электрика", "Лифт", "Отопление", "Уборка", "Прочее"]
    assert _count(Subcategory) >= 18 and _count(Executor) >= 10
    statuses = set(db.session.execute(select(Request.status)).scalars())
    assert statuses == {s.value for s in Status}
    assert _count(Notification) == 0  # invented residents get no Telegram messages
    # Residents confirmed and rated part of the closed work, in the bot's own terms.
    rated = db.session.execute(select(Request).where(Request.rating.is_not(None))).scalars().all()
    assert rated and all(r.status in ("closed", "archived") and r.verdict == "confirmed" for r in rated)
    for request in rated:
        [closed] = [e for e in request.events if e.kind == "status" and e.to_status == "closed"]
        assert closed.actor_id is None and [e.to_value for e in request.events if e.kind == "rating"] == [
            str(request.rating)]
    for client in db.session.execute(select(Client)).scalars():
        assert client.account.isdigit() and client.full_name.count(" ") == 2 and client.street
        assert client.phone == "" or normalise_phone(client.phone) == client.phone


def test_requests_have_real_history_spread_over_months(small_demo):
    requests = db.session.execute(select(Request).order_by(Request.number)).scalars().all()
    assert [r.number for r in requests] == list(range(1, 61))
    created = [r.created_at for r in requests]
    assert created == sorted(created)  # numbers grow with time
    assert (created[-1] - created[0]).days >= 60
    for request in requests:
        events = request.events
        assert events[0].kind == "created"
        assert [e.created_at for e in events] == sorted(e.created_at for e in events)
        moves = [e.to_status for e in events if e.kind == "status"]
        assert (moves[-1] if moves else "new") == request.status
        if request.status in ("assigned", "in_progress", "done"):
            assert request.executor is not None and request.executor.active
        if request.status == "archived":
            assert request.archived_at >= request.closed_at >= request.created_at
        assert request.author_chat_id is None


def test_demo_categories_have_norms_and_requests_met_or_missed_them(small_demo):
    leak = db.session.execute(select(Subcategory).where(Subcategory.name == "Протечка")).scalar_one()
    assert (leak.emergency, leak.reaction_minutes, leak.completion_minutes) == (True, 10, 30)
    assert deadlines.norm_of(leak.category) == deadlines.Norm(False, 60, 3 * 1440)
    requests = db.session.execute(select(Request)).scalars().all()
    for request in requests:
        norm = deadlines.norm_of(request.category, request.subcategory)
        assert request.emergency == norm.emergency
        assert request.completion_due_at == request.created_at + timedelta(minutes=norm.completion)
        assert (request.reacted_at is None) == (request.status == "new")
    assert any(r.emergency for r in requests)
    assert any(r.late_minutes for r in requests) and any(r.reacted_at and not r.late_minutes for r in requests)
    assert db.session.execute(select(func.sum(RequestCount.n)).where(RequestCount.grain == "d")).scalar_one() \
        == len(requests)  # the dashboard's counters were counted after the backdating


def test_demo_dispatchers_cannot_log_in(small_demo):
    dispatchers = db.session.execute(select(StaffUser).where(StaffUser.login.like("demo.%"))).scalars().all()
    assert dispatchers and not any(u.active for u in dispatchers)


def test_seed_is_deterministic(runner, ctx):
    def seeded():
        return (db.session.execute(select(Client.account, Client.full_name, Client.apartment)
                                   .order_by(Client.id)).all(),
                db.session.execute(select(Request.description, Request.status).order_by(Request.id)).all())

    runner.invoke(args=SMALL)
    first = seeded()
    for model in (RequestEvent, Request, Subcategory, Category, Executor, Client):
        db.session.execute(delete(model))
    db.session.commit()
    assert runner.invoke(args=SMALL).exit_code == 0
    assert seeded() == first


@pytest.mark.parametrize("flag,exit_code,message", [
    ("--if-empty", 0, "already has data"),
    (None, 1, "only fills an empty database"),
])
def test_seed_refuses_a_database_with_data(runner, ctx, flag, exit_code, message):
    ctx.client()
    result = runner.invoke(args=["seed-demo"] + ([flag] if flag else []))
    assert result.exit_code == exit_code
    assert message in result.output
    assert _count(Client) == 1


@pytest.mark.sqlite_only
def test_default_size_is_a_few_hundred(runner, ctx):
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert _count(Client) == 300 and _count(Request) == 400


@pytest.mark.sqlite_only  # shares, not SQL: one engine is enough
def test_demo_looks_like_a_working_office(ctx):
    """1 000 requests over 30 days (about the trial's 3 000 over five months, a day's worth more):
    the open ones (not yet closed) were all filed within the last 8 days, «новая» within the day;
    at least one is overdue now and one due within the hour, but no more than 10 % are overdue;
    5–25 % of the finished work was late, no executor above 30 %."""
    demo_data.seed(requests=1000, days=30)
    db.session.commit()
    now = utcnow()
    requests = db.session.execute(select(Request)).scalars().all()
    open_ = [r for r in requests if r.status in ("new", "assigned", "in_progress", "done")]
    assert len(open_) >= 20
    assert all(now - r.created_at < timedelta(days=8) for r in open_)
    assert all(now - r.created_at < timedelta(days=1) for r in open_ if r.status == "new")
    overdue = [r for r in open_ if r.due_at is not None and r.due_at < now]
    assert 1 <= len(overdue) <= 0.1 * len(open_)
    assert any(now <= r.due_at < now + deadlines.SOON for r in open_ if r.due_at is not None)

    finished = [r for r in requests if r.completed_at is not None and r.executor_id is not None]
    assert 0.05 <= sum(bool(r.late_minutes) for r in finished) / len(finished) <= 0.25
    by_executor = {}
    for r in finished:
        by_executor.setdefault(r.executor_id, []).append(bool(r.late_minutes))
    assert max(sum(late) / len(late) for late in by_executor.values()) <= 0.3


def test_person_names_agree_in_gender():
    import random

    rng = random.Random(1)
    for _ in range(200):
        last, first, patronymic = demo_data.person(rng).split()
        female = patronymic.endswith("на")
        assert female == (first in demo_data.FEMALE_FIRST_NAMES)
        assert female == last.endswith("а")
