"""Meter reminders through the real worker: the window's opening and two days before it closes, through
the outbox at the BULK priority, once a month, not to those who switched them off in «Настройки»;
the verification notice thirty days ahead."""
import calendar
import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Client, Notification
from app.models.meters import SCALE, Meter, MeterReminderRun
from app.services import company
from app.services.meters import meters as meter_service
from app.services.meters import readings, window
from app.services.messaging import outbox
from tests.bot.conftest import make_world

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]

_accounts = itertools.count(400_001)


def today():
    return datetime.now(ZoneInfo("Europe/Moscow")).date()


@pytest.fixture(scope="module")
def world(tmp_path_factory, sqlite_template):
    world = make_world(tmp_path_factory, sqlite_template, METER_JOB_SECONDS=1)
    with world.app.app_context():
        company.put({"meter_reminders": False}, None)
        db.session.commit()
    world.worker.start()
    yield world
    world.close()


def put(world, **values) -> None:
    with world.app.app_context():
        company.put(values, None)
        db.session.commit()


def account(world, with_meter: bool = True, reported: bool = False) -> str:
    number = str(next(_accounts))
    with world.app.app_context():
        client = Client(account=number, full_name="Жилец", city="Самара", street="ул. Напоминаний", house="1",
                        apartment=number[-2:])
        db.session.add(client)
        db.session.flush()
        if with_meter:
            meter = meter_service.add(client.id, meter_service.MeterData(
                "cold", f"R-{number}", "", 5, 3, None, today() - timedelta(days=40), (0,)))
            if reported:
                readings.store(meter, today().replace(day=1), (5 * SCALE,), source="bot")
        db.session.commit()
    return number


def reminder_chats(world, text_part: str) -> set[int]:
    with world.app.app_context():
        rows = db.session.execute(select(Notification.chat_id, Notification.priority, Notification.kind)
                                  .where(Notification.text.contains(text_part))).all()
    assert all(priority == outbox.BULK and kind == "meter_reminder" for _, priority, kind in rows)
    return {chat for chat, _, _ in rows}


def test_the_opening_and_the_closing_reminders_go_once_to_those_who_want_them(world):
    day, days = today(), calendar.monthrange(today().year, today().month)[1]
    if day.day + 3 > days:
        pytest.skip("no window with more than two days left fits the rest of this month")
    wants = world.identified(account=account(world))
    reported = world.identified(account=account(world, reported=True))
    switched_off = world.identified(account=account(world))
    no_meters = world.identified(account=account(world, with_meter=False))
    switched_off.send("Настройки")
    switched_off.expect("Напоминания о передаче показаний счётчиков вы получаете")
    assert switched_off.press("Напоминания о показаниях: не получать")["text"] == "Напоминания о показаниях отключены"

    put(world, meter_window_first=1, meter_window_last=min(31, day.day + 5), meter_reminders=True)
    closes = window.Window(1, min(31, day.day + 5)).closes(day)
    wants.expect(f"Открыт приём показаний счётчиков — до {closes:%d.%m.%Y} включительно",
                 "«Передать показания»", "Отключить напоминания можно в «Настройках»")
    reported.expect("Открыт приём показаний")
    opened = reminder_chats(world, "Открыт приём показаний")
    assert wants.chat_id in opened and reported.chat_id in opened
    assert switched_off.chat_id not in opened and no_meters.chat_id not in opened

    # Two days before the close: only those still missing a reading, and once.
    put(world, meter_window_first=1, meter_window_last=day.day + 1 if day.day < days else day.day)
    wants.expect("Приём показаний счётчиков заканчивается", "вы их ещё не передали")
    closing = reminder_chats(world, "заканчивается")
    assert wants.chat_id in closing and reported.chat_id not in closing and switched_off.chat_id not in closing
    with world.app.app_context():
        runs = db.session.execute(select(MeterReminderRun.kind, MeterReminderRun.recipients)).all()
    assert sorted(kind for kind, _ in runs) == ["closing", "open"]
    world.api.wait_until(lambda: False, timeout=2.5)  # two more runs of the job: nothing queued again
    assert len(reminder_chats(world, "Открыт приём")) == len(opened)
    assert len(reminder_chats(world, "заканчивается")) == len(closing)
    put(world, meter_reminders=False)


def test_residents_are_told_thirty_days_before_a_verification_date_once(world):
    number = account(world)
    r = world.identified(account=number)
    due = today() + timedelta(days=20)
    with world.app.app_context():
        meter = db.session.execute(select(Meter).join(Client).where(Client.account == number)).scalar_one()
        meter.verification_due = due
        far = db.session.execute(select(Client).where(Client.account == number)).scalar_one()
        later = meter_service.add(far.id, meter_service.MeterData("hot", f"F-{number}", "", 5, 3,
                                                                   due + timedelta(days=40), due, (0,)))
        db.session.commit()
        meter_id, later_id = meter.id, later.id
    notice = r.wait_for("Срок поверки счётчика")
    assert f"ХВС № R-{number}" in notice.text and f"{due:%d.%m.%Y}" in notice.text
    world.api.wait_until(lambda: False, timeout=2.5)
    with world.app.app_context():
        told = db.session.execute(select(Notification).where(Notification.chat_id == r.chat_id,
                                                             Notification.kind == "meter_verification")).scalars().all()
        assert len(told) == 1 and told[0].priority == outbox.BULK
        assert db.session.get(Meter, meter_id).verification_noticed == due
        assert db.session.get(Meter, later_id).verification_noticed is None  # 60 days ahead: not yet
