"""The reminders' rules on both engines: which day calls for which reminder, who gets it, once a month."""
from datetime import date, timedelta

from app.extensions import db
from app.models import Notification, TelegramBinding
from app.services import company
from app.services.meters import reminders, window
from app.services.messaging import outbox
from tests.meters.helpers import meter, reading


def test_which_reminder_a_day_calls_for():
    w = window.Window(15, 25)
    assert reminders.due(date(2026, 12, 14), w) is None
    assert reminders.due(date(2026, 12, 15), w) == reminders.OPEN
    assert reminders.due(date(2026, 12, 22), w) == reminders.OPEN
    assert reminders.due(date(2026, 12, 23), w) == reminders.CLOSING
    assert reminders.due(date(2026, 12, 25), w) == reminders.CLOSING
    assert reminders.due(date(2027, 2, 26), window.Window(20, 31)) == reminders.CLOSING  # ends on the 28th
    assert reminders.due(date(2026, 12, 15), window.Window(15, 16)) == reminders.CLOSING  # a short window


def bind(client, user_id):
    db.session.add(TelegramBinding(client_id=client.id, telegram_user_id=user_id, chat_id=user_id, phone="+79120000000"))
    db.session.commit()


def test_reminders_go_once_to_the_residents_who_want_them(ctx, monkeypatch):
    day = date(2026, 12, 15)
    monkeypatch.setattr(window, "today", lambda: day)
    company.put({"meter_window_first": 15, "meter_window_last": 25}, None)
    a, b, c, d = (ctx.client(str(100001 + i), apartment=str(i)) for i in range(4))
    meter(a, serial="A")
    meter(b, serial="B")
    reading(meter(c, serial="C"), date(2026, 12, 1), 101)
    for client, user in ((a, 11), (b, 12), (c, 13), (d, 14)):  # d has no meters
        bind(client, user)
    bind(a, 15)  # a second resident of the same flat
    reminders.set_wants_reminders(12, False)
    db.session.commit()
    assert reminders.send_reminders() == 3
    db.session.commit()
    rows = Notification.query.all()
    assert sorted(r.chat_id for r in rows) == [11, 13, 15]
    assert {(r.kind, r.priority) for r in rows} == {("meter_reminder", outbox.BULK)}
    assert reminders.send_reminders() == 0  # once a month

    monkeypatch.setattr(window, "today", lambda: day + timedelta(days=8))
    assert reminders.send_reminders() == 2  # C has reported
    db.session.commit()
    assert sorted(r.chat_id for r in Notification.query.filter(Notification.text.contains("заканчивается"))) == [11, 15]

    company.put({"meter_reminders": False}, None)
    monkeypatch.setattr(window, "today", lambda: date(2027, 1, 15))
    assert reminders.send_reminders() == 0
    reminders.set_wants_reminders(12, True)
    assert reminders.wants_reminders(12)


def test_verification_notices_thirty_days_ahead_once_per_date(ctx, monkeypatch):
    day = date(2026, 12, 7)
    monkeypatch.setattr(window, "today", lambda: day)
    a = ctx.client()
    soon = meter(a, serial="S", verification_due=day + timedelta(days=30))
    meter(a, serial="L", verification_due=day + timedelta(days=31))
    meter(a, serial="P", verification_due=day - timedelta(days=1))
    bind(a, 21)
    assert reminders.notify_verification() == 1
    db.session.commit()
    assert reminders.notify_verification() == 0
    soon.verification_due = day + timedelta(days=10)  # a new date: told again
    soon.verification_noticed = None
    db.session.commit()
    assert reminders.notify_verification() == 1
