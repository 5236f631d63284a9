"""Deadlines (app.services.requests.deadlines) through the request service: norms, deadlines on filing,
met or missed on every status move, recomputation when the category is corrected."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Category, Client, Request, RequestEvent, Subcategory
from app.services.requests import deadlines
from app.services.requests import durations
from app.services.requests import lifecycle as request_service
from app.services.requests.statuses import TRANSITIONS, Status
from tests import factories
from tests.clock import Clock

T0 = datetime(2024, 1, 31, 21, 30, tzinfo=timezone.utc)  # 00:30 on 1 February in Moscow


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, T0)


def plumbing(reaction=120, completion=3 * 1440, emergency=False) -> Category:
    category = factories.category("Сантехника", ("Протечка", "Засор"))
    category.reaction_minutes, category.completion_minutes, category.emergency = reaction, completion, emergency
    db.session.commit()
    return category


def sub(category, name) -> Subcategory:
    return next(s for s in category.subcategories if s.name == name)


def file(category, subcategory=None) -> Request:
    client = db.session.execute(select(Client)).scalars().first() or factories.client()
    request = request_service.create_request(client=client, category=category,
                                             subcategory=subcategory, description="Течёт")
    db.session.commit()
    return request


def test_a_subcategory_overrides_its_category_value_by_value(ctx):
    category = plumbing(reaction=120, completion=4320)
    leak, blockage = sub(category, "Протечка"), sub(category, "Засор")
    leak.emergency, leak.reaction_minutes, leak.completion_minutes = True, 10, 30
    blockage.completion_minutes = 120  # reaction and the flag as the category says
    db.session.commit()
    assert deadlines.norm_of(category) == deadlines.Norm(False, 120, 4320)
    assert deadlines.norm_of(category, leak) == deadlines.Norm(True, 10, 30)
    assert deadlines.norm_of(category, blockage) == deadlines.Norm(False, 120, 120)
    category.emergency, leak.emergency = True, False  # an emergency category, a subcategory that is not
    assert deadlines.norm_of(category, leak).emergency is False
    assert deadlines.norm_of(category, blockage).emergency is True


def test_deadlines_are_calendar_time_from_filing_across_a_month_end(ctx, clock):
    request = file(plumbing(reaction=120, completion=3 * 1440))
    assert request.created_at == T0
    assert request.reaction_due_at == datetime(2024, 1, 31, 23, 30, tzinfo=timezone.utc)
    assert request.completion_due_at == datetime(2024, 2, 3, 21, 30, tzinfo=timezone.utc)
    assert request.due_at == request.reaction_due_at and request.late_minutes is None

    clock.at(datetime(2024, 2, 28, 12, 0, tzinfo=timezone.utc))  # a leap year: 29 February comes next
    assert file(Category.query.one()).completion_due_at == datetime(2024, 3, 2, 12, 0, tzinfo=timezone.utc)


@pytest.mark.app_config(TIMEZONE="Asia/Yekaterinburg")
def test_deadlines_are_shown_in_the_company_time_zone(app, staff_client, ctx, clock):
    request = file(plumbing(reaction=120, completion=3 * 1440))
    page = staff_client("operator").page(f"/requests/{request.id}")
    # Filed at 02:30 on 1 February in Yekaterinburg (UTC+5); the month changed in the company's zone.
    assert "01.02.2024 02:30" in page
    assert "01.02.2024 04:30" in page and "04.02.2024 02:30" in page


@pytest.mark.app_config(TIMEZONE="Europe/Berlin")
def test_a_day_is_24_hours_even_when_the_clocks_change(app, ctx, clock):
    """Calendar time is elapsed time: on the night summer time starts a day ends at 13:00 local."""
    clock.at(datetime(2024, 3, 30, 11, 0, tzinfo=timezone.utc))  # 12:00 in Berlin, winter time
    request = file(plumbing(reaction=None, completion=1440))
    assert request.reaction_due_at is None
    assert request.completion_due_at.astimezone(app.config["TZ"]).strftime("%d.%m %H:%M") == "31.03 13:00"


def test_a_category_without_norms_gives_no_deadlines(ctx, clock):
    request = file(plumbing(reaction=None, completion=None))
    assert (request.reaction_due_at, request.completion_due_at, request.due_at, request.emergency) == \
        (None, None, None, False)


def test_a_later_change_of_the_norm_keeps_the_deadlines_of_filed_requests(ctx, clock):
    category = plumbing(reaction=120)
    request = file(category)
    category.reaction_minutes = 10
    db.session.commit()
    assert request.reaction_due_at == T0 + timedelta(minutes=120)
    assert file(category).reaction_due_at == T0 + timedelta(minutes=10)


# Each allowed move made when both deadlines have passed, from a request that met every earlier
# one: what becomes of the reaction and of the completion (deadlines.lines states).
AFTER_A_LATE_MOVE = {
    (Status.NEW, Status.ASSIGNED): ("missed", "late"),
    (Status.NEW, Status.CLOSED): ("missed", "missed"),        # a duplicate closed, but late
    (Status.ASSIGNED, Status.IN_PROGRESS): ("met", "late"),
    (Status.ASSIGNED, Status.NEW): ("met", "late"),           # handed back: the reaction stays
    (Status.ASSIGNED, Status.CLOSED): ("met", "missed"),
    (Status.IN_PROGRESS, Status.DONE): ("met", "missed"),
    (Status.IN_PROGRESS, Status.ASSIGNED): ("met", "late"),
    (Status.DONE, Status.CLOSED): ("met", "met"),             # completed when it was done
    (Status.DONE, Status.IN_PROGRESS): ("met", "late"),       # reopened: owes the completion again
    (Status.CLOSED, Status.ARCHIVED): ("met", "met"),
    (Status.CLOSED, Status.IN_PROGRESS): ("met", "late"),
}
PATHS = {  # to each status, every step within the deadlines
    Status.NEW: [], Status.ASSIGNED: [Status.ASSIGNED], Status.IN_PROGRESS: [Status.ASSIGNED, Status.IN_PROGRESS],
    Status.DONE: [Status.ASSIGNED, Status.IN_PROGRESS, Status.DONE],
    Status.CLOSED: [Status.ASSIGNED, Status.IN_PROGRESS, Status.DONE, Status.CLOSED],
}


def test_every_allowed_move_is_covered():
    assert set(AFTER_A_LATE_MOVE) == {(a, b) for a, targets in TRANSITIONS.items() for b in targets}


@pytest.mark.parametrize("current,target", list(AFTER_A_LATE_MOVE))
def test_met_or_missed_on_every_move(ctx, clock, current, target):
    request = file(plumbing(reaction=60, completion=600))  # due T0+1h and T0+10h
    executor = factories.executor()
    operator = factories.staff("operator")

    def move(step):
        if step is Status.ASSIGNED and request.executor_id is None:
            request_service.assign_executor(request, executor, operator)  # «новая» -> «назначена»
        else:
            request_service.change_status(request, step.value, operator)

    for minute, step in enumerate(PATHS[current], start=1):
        clock.at(T0 + timedelta(minutes=minute))
        move(step)
    late = T0 + timedelta(hours=12)
    clock.at(late)
    move(target)
    db.session.commit()

    reaction, completion = deadlines.lines(request, late)
    assert (reaction.state, completion.state) == AFTER_A_LATE_MOVE[(current, target)]
    # The journal's view of the same request: late now while it owes the completion, and how late.
    assert (request.due_at is not None) == (completion.state == "late")
    assert deadlines.state(request.due_at, late) == ("late" if completion.state == "late" else "")
    worst = [late for state, late in ((reaction.state, 12 * 60 - 60), (completion.state, 12 * 60 - 600))
             if state == "missed"]
    assert request.late_minutes == max(worst, default=None)


def test_a_reopened_request_met_late_is_recorded_again(ctx, clock):
    request = file(plumbing(reaction=60, completion=600))
    operator, executor = factories.staff("operator"), factories.executor()
    clock.at(T0 + timedelta(minutes=5))
    request_service.assign_executor(request, executor, operator)
    request_service.change_status(request, "in_progress", operator)
    request_service.change_status(request, "done", operator)
    assert request.late_minutes is None and request.due_at is None
    clock.at(T0 + timedelta(hours=11))
    request_service.change_status(request, "in_progress", operator)  # the leak is back
    assert request.due_at == request.completion_due_at and request.completed_at is None
    clock.at(T0 + timedelta(hours=11, seconds=30))
    request_service.change_status(request, "done", operator)
    assert request.late_minutes == 61  # 10 h 0 min 30 s after a deadline of 10 h: any part of a minute counts


def test_correcting_the_category_recomputes_the_deadlines_from_filing(ctx, clock):
    plumbing_category = plumbing(reaction=120, completion=3 * 1440)
    lift = factories.category("Лифт", ("Застревание в лифте",))
    stuck = lift.subcategories[0]
    stuck.emergency, stuck.reaction_minutes, stuck.completion_minutes = True, 10, 30
    db.session.commit()
    request = file(plumbing_category, sub(plumbing_category, "Протечка"))
    operator = factories.staff("operator")

    clock.at(T0 + timedelta(minutes=20))
    request_service.assign_executor(request, factories.executor(), operator)  # in time for 2 hours
    assert request.late_minutes is None
    request_service.change_category(request, lift, stuck, operator, "Житель ошибся категорией")
    db.session.commit()
    assert (request.category_id, request.subcategory_id, request.emergency) == (lift.id, stuck.id, True)
    assert request.reaction_due_at == T0 + timedelta(minutes=10)  # from filing, not from the correction
    assert request.completion_due_at == T0 + timedelta(minutes=30)
    assert request.late_minutes == 10  # the reaction at +20 min is late for the new norm
    assert request.due_at == T0 + timedelta(minutes=30)
    event = db.session.execute(select(RequestEvent).where(RequestEvent.kind == "category")).scalar_one()
    assert (event.from_value, event.to_value, event.comment, event.actor_label) == (
        "Сантехника / Протечка", "Лифт / Застревание в лифте", "Житель ошибся категорией", "Олег Оператор")

    request_service.change_category(request, plumbing_category, None, operator)
    assert (request.emergency, request.completion_due_at) == (False, T0 + timedelta(days=3))
    assert request.subcategory_id is None


@pytest.mark.parametrize("case,message", [
    ("foreign subcategory", "не относится к выбранной категории"),
    ("archived", "в архиве"),
    ("switched off", "отключена"),
])
def test_category_corrections_the_rules_refuse(ctx, clock, case, message):
    category = plumbing()
    other = factories.category("Электрика", ("Нет света",))
    request = file(category)
    subcategory = sub(category, "Засор") if case == "foreign subcategory" else None
    if case == "archived":
        request.status = Status.ARCHIVED.value
    if case == "switched off":
        other.active = False
    with pytest.raises(request_service.RequestError, match=message):
        request_service.change_category(request, other, subcategory, factories.staff("operator"))


@pytest.mark.parametrize("minutes,text,form", [
    (0, "0 мин", (0, "day")), (45, "45 мин", (45, "min")), (60, "1 ч", (1, "hour")),
    (90, "1 ч 30 мин", (90, "min")), (1440, "1 д", (1, "day")), (2160, "1 д 12 ч", (36, "hour")),
    (4330, "3 д", (4330, "min")), (None, "", (None, "hour")),
])
def test_lengths_of_time_in_words_and_in_the_form(minutes, text, form):
    assert durations.text(minutes) == text
    assert durations.split(minutes) == form


@pytest.mark.parametrize("seconds,text", [
    (None, ""), (1, "1 мин"), (60, "1 мин"), (61, "2 мин"), (8100, "2 ч 15 мин"),
    (0, "осталось меньше минуты"), (-59, "осталось меньше минуты"), (-2400, "осталось 40 мин"),
])
def test_lateness_in_the_journal(seconds, text):
    assert deadlines.lateness_text(seconds) == text


def test_lateness_is_counted_by_the_database_alike_on_every_engine(ctx, clock):
    """On a frozen clock: with a real one, the test's own time adds to the lateness (a second of it
    on a busy host made this fail)."""
    request = file(plumbing(reaction=60, completion=600))  # filed now: reaction in an hour
    request.created_at -= timedelta(hours=3)
    deadlines.apply_norm(request, deadlines.norm_of(request.category))
    db.session.commit()
    seconds = db.session.execute(select(deadlines.LATENESS).where(Request.id == request.id)).scalar_one()
    assert seconds == 2 * 3600  # the reaction is two hours late
    assert db.session.execute(select(Request.id).where(deadlines.OVERDUE)).scalars().all() == \
        [request.id]
