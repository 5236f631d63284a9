"""Alerts to the staff chat (app.services.requests.staff_alerts): what each says, once each, and nothing at all
without STAFF_CHAT_ID. (tests/bot/test_staff_alerts.py has them delivered by the real worker.)"""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.config import Config
from app.extensions import db
from app.models import Client, Notification, Request, StaffDigest, Subcategory, utcnow
from app.services.requests import deadlines
from app.services.messaging import outbox
from app.services.requests import staff_alerts
from app.services.requests import lifecycle as request_service
from tests import factories
from tests.clock import Clock

CHAT = -1001234567890
WITH_CHAT = pytest.mark.app_config(STAFF_CHAT_ID=CHAT)


def alerts() -> list[Notification]:
    return db.session.execute(select(Notification).order_by(Notification.id)).scalars().all()


@pytest.fixture
def lift(ctx):
    """«Лифт» (30 min / 1 day) with the emergency subcategory «Застревание» (10 / 30 min)."""
    category = factories.category("Лифт", ("Застревание", "Не работает кнопка"))
    category.reaction_minutes, category.completion_minutes = 30, 1440
    stuck = next(s for s in category.subcategories if s.name == "Застревание")
    stuck.emergency, stuck.reaction_minutes, stuck.completion_minutes = True, 10, 30
    db.session.commit()
    return category


def file(category, subcategory_name, description="Лифт застрял между 6 и 7 этажом", ago=timedelta(0)) -> Request:
    subcategory = next(s for s in category.subcategories if s.name == subcategory_name)
    client = db.session.execute(select(Client)).scalars().first() or factories.client()
    request = request_service.create_request(client=client, category=category, subcategory=subcategory,
                                             description=description)
    if ago:
        request.created_at -= ago
        deadlines.apply_norm(request, deadlines.norm_of(category, subcategory))
    db.session.commit()
    return request


@WITH_CHAT
def test_an_emergency_request_is_announced_in_its_filing_transaction(app, lift):
    ordinary = file(lift, "Не работает кнопка")
    assert alerts() == []
    request = file(lift, "Застревание")
    [alert] = alerts()
    assert (alert.chat_id, alert.kind, alert.priority, alert.request_id) == (CHAT, "alert", outbox.ALERT, request.id)
    due = {line.title: line.due for line in deadlines.lines(request, utcnow())}
    tz = app.config["TZ"]
    assert alert.text == "\n".join([
        f"🚨 Аварийная заявка № {request.number}", "Лифт / Застревание",
        "Адрес: г. Самара, ул. Ленина, д. 5А, кв. 12", "Телефон: +7 912 345-67-89", "Лифт застрял между 6 и 7 этажом",
        f"Срок реакции: до {due['Срок реакции'].astimezone(tz):%d.%m.%Y %H:%M}",
        f"Срок выполнения: до {due['Срок выполнения'].astimezone(tz):%d.%m.%Y %H:%M}"])  # no WEB_URL: no link
    assert ordinary.id != request.id


@pytest.mark.app_config(STAFF_CHAT_ID=CHAT, WEB_URL="https://zhkh.example.ru/dispatch")
def test_with_the_web_address_the_emergency_alert_links_to_the_request(app, lift):
    request = file(lift, "Застревание")
    [alert] = alerts()
    assert alert.text.splitlines()[-1] == f"https://zhkh.example.ru/dispatch/requests/{request.id}"
    request.contact_phone = ""  # a request without a phone says so
    staff_alerts.emergency(request)
    assert "Телефон: —" in alerts()[-1].text.splitlines()


@pytest.mark.parametrize("value,expected", [("", ""), (" https://zhkh.example.ru/ ", "https://zhkh.example.ru"),
                                            ("http://10.0.0.5:8000/app", "http://10.0.0.5:8000/app")])
def test_the_web_address_setting(monkeypatch, value, expected):
    monkeypatch.setenv("WEB_URL", value)
    assert Config().WEB_URL == expected


@pytest.mark.parametrize("value", ["zhkh.example.ru", "ftp://zhkh.example.ru", "https://zhkh example.ru"])
def test_a_bad_web_address_stops_the_start_with_a_clear_message(monkeypatch, value):
    monkeypatch.setenv("WEB_URL", value)
    with pytest.raises(ValueError, match="is not a web address: write one such as https://"):
        Config()


@WITH_CHAT
def test_a_correction_into_an_emergency_is_announced_once(app, lift):
    request = file(lift, "Не работает кнопка")
    stuck = db.session.execute(select(Subcategory).where(Subcategory.name == "Застревание")).scalar_one()
    operator = factories.staff("operator")
    request_service.change_category(request, lift, stuck, operator)
    db.session.commit()
    assert [a.text.splitlines()[0] for a in alerts()] == [f"🚨 Аварийная заявка № {request.number}"]
    request_service.change_category(request, lift, stuck, operator, "ещё раз")  # no change: no alert
    db.session.commit()
    assert len(alerts()) == 1


@WITH_CHAT
def test_overdue_requests_are_told_once_per_deadline(app, lift, monkeypatch):
    Clock(monkeypatch, utcnow(), staff_alerts)  # how late is told to the minute
    late = file(lift, "Не работает кнопка", "Кнопка на 3 этаже", ago=timedelta(hours=1))  # reaction due 30 min ago
    stuck = file(lift, "Застревание", ago=timedelta(minutes=20))                         # reaction due 10 min ago
    file(lift, "Не работает кнопка", "Давно", ago=timedelta(days=3))                     # passed too long ago
    file(lift, "Не работает кнопка", "Только что")                                       # not yet due
    db.session.execute(db.delete(Notification))  # the emergency's own alert is not this test's
    db.session.commit()

    staff_alerts.check_overdue()
    db.session.commit()
    [alert] = alerts()
    tz = app.config["TZ"]
    assert alert.kind == "alert" and alert.chat_id == CHAT
    assert alert.text.splitlines() == [  # how late, and who is assigned
        "⏰ Просрочены заявки: 2",
        f"№ {late.number} — реакция, срок был {late.reaction_due_at.astimezone(tz):%d.%m.%Y %H:%M}, "
        "просрочка 30 мин, Лифт / Не работает кнопка, г. Самара, ул. Ленина, д. 5А, кв. 12, исполнитель не назначен",
        f"№ {stuck.number} — реакция, срок был {stuck.reaction_due_at.astimezone(tz):%d.%m.%Y %H:%M}, "
        "просрочка 10 мин, Лифт / Застревание, г. Самара, ул. Ленина, д. 5А, кв. 12, исполнитель не назначен"]

    staff_alerts.check_overdue()  # told already: nothing new
    assert len(alerts()) == 1

    operator = factories.staff("operator")
    request_service.assign_executor(stuck, factories.executor(), operator)  # reacted; the completion is next
    stuck.created_at -= timedelta(minutes=25)  # ... and it passes too
    deadlines.apply_norm(stuck, deadlines.norm_of(lift, stuck.subcategory))
    db.session.commit()
    staff_alerts.check_overdue()
    assert len(alerts()) == 2
    line = alerts()[-1].text.splitlines()[1]
    assert line.startswith(f"№ {stuck.number} — выполнение, срок был") and "просрочка 15 мин" in line
    assert line.endswith("кв. 12, исполнитель: Петров Пётр")


@pytest.mark.app_config(STAFF_CHAT_ID=CHAT, STAFF_DIGEST_HOUR=8)
def test_the_morning_digest_is_sent_once_a_day_from_its_hour(app, lift, monkeypatch):
    tz = app.config["TZ"]
    clock = Clock(monkeypatch, datetime(2024, 3, 4, 12, 0, tzinfo=tz), staff_alerts)  # filing, moves, digest
    monkeypatch.setattr(staff_alerts, "local_now", lambda: clock.now)
    operator, executor = factories.staff("operator"), factories.executor()
    yesterday = []
    for name, done in (("Застревание", True), ("Не работает кнопка", False), ("Не работает кнопка", True)):
        clock.at(datetime(2024, 3, 4, 12, 0, tzinfo=tz))
        request = file(lift, name)
        if done:
            clock.at(datetime(2024, 3, 4, 14, 0, tzinfo=tz))
            request_service.assign_executor(request, executor, operator)
            request_service.change_status(request, "in_progress", operator)
            request_service.change_status(request, "done", operator)
        yesterday.append(request)
    clock.at(datetime(2024, 3, 5, 7, 30, tzinfo=tz))
    late = file(lift, "Не работает кнопка", "Кнопка")  # its reaction is due at 08:00
    db.session.execute(db.delete(Notification))
    db.session.commit()

    clock.at(datetime(2024, 3, 5, 7, 59, tzinfo=tz))
    staff_alerts.send_digest()
    assert alerts() == []  # not before 08:00
    clock.at(datetime(2024, 3, 5, 9, 0, tzinfo=tz))
    staff_alerts.send_digest()
    db.session.commit()
    [digest] = alerts()
    assert (digest.kind, digest.priority, digest.chat_id) == ("digest", outbox.ALERT, CHAT)
    assert digest.text.splitlines() == [
        "Сводка на 05.03.2024",
        "Поступило вчера: 3, из них аварийных: 1",
        "Выполнено вчера: 2",
        "Ждут выполнения: 2",
        "Просрочено сейчас: 2",
        f"№ {yesterday[1].number} — просрочена на 20 ч 30 мин, Лифт / Не работает кнопка, "
        "г. Самара, ул. Ленина, д. 5А, кв. 12",  # the most overdue first
        f"№ {late.number} — просрочена на 1 ч, Лифт / Не работает кнопка, г. Самара, ул. Ленина, д. 5А, кв. 12"]
    assert db.session.get(StaffDigest, date(2024, 3, 5)) is not None

    clock.at(datetime(2024, 3, 5, 18, 0, tzinfo=tz))
    staff_alerts.send_digest()
    assert len(alerts()) == 1  # once a day


def test_without_a_staff_chat_nothing_is_queued(app, lift, monkeypatch):
    assert app.config["STAFF_CHAT_ID"] is None
    file(lift, "Застревание", ago=timedelta(hours=1))
    monkeypatch.setattr(staff_alerts, "local_now", lambda: datetime.now(app.config["TZ"]).replace(hour=23))
    staff_alerts.check_overdue()
    staff_alerts.send_digest()
    db.session.commit()
    assert alerts() == []
    assert db.session.execute(select(Request.alerted_due_at)).scalar_one() is None
    assert db.session.execute(select(StaffDigest)).first() is None


@pytest.mark.parametrize("value,expected", [("", None), (" -1001234567890 ", -1001234567890), ("42", 42)])
def test_the_staff_chat_setting(monkeypatch, value, expected):
    monkeypatch.setenv("STAFF_CHAT_ID", value)
    assert Config().STAFF_CHAT_ID == expected


def test_a_bad_staff_chat_setting_stops_the_start_with_a_clear_message(monkeypatch):
    monkeypatch.setenv("STAFF_CHAT_ID", "@zhkh_staff")
    with pytest.raises(ValueError, match="STAFF_CHAT_ID='@zhkh_staff' is not a Telegram chat id"):
        Config()
