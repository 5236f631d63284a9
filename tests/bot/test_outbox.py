"""The outbox sender against the local Bot API, in-process, on every database backend."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from telebot import TeleBot, apihelper

from app.bot.outbox import MAX_ATTEMPTS, OutboxSender, Pacer
from app.bot.worker import configure_api
from app.extensions import db
from app.models import Notification, utcnow
from devtools.local_api import LocalBotApi


@pytest.fixture
def telegram():
    """A local Bot API that telebot talks to for the duration of the test."""
    names = ("API_URL", "FILE_URL", "CUSTOM_REQUEST_SENDER", "proxy", "CONNECT_TIMEOUT", "READ_TIMEOUT")
    saved = {name: getattr(apihelper, name) for name in names}
    with LocalBotApi() as api:
        configure_api(api.url)
        yield api
    for name, value in saved.items():
        setattr(apihelper, name, value)


@pytest.fixture
def outbox(app, telegram):
    sender = OutboxSender(app, TeleBot(telegram.token, threaded=False), threading.Event(), rate=1000)
    yield sender
    sender.pool.shutdown()


def queue(app, chat_id: int, text: str) -> int:
    with app.app_context():
        row = Notification(chat_id=chat_id, text=text)
        db.session.add(row)
        db.session.commit()
        return row.id


def rows(app) -> dict[int, Notification]:
    with app.app_context():
        found = db.session.execute(select(Notification)).scalars().all()
        db.session.expunge_all()
        return {row.id: row for row in found}


def texts(api, chat_id) -> list[str]:
    return [m.text for m in api.messages(chat_id)]


def test_sends_in_order_one_per_chat_at_a_time(app, telegram, outbox):
    a1 = queue(app, 1, "А: назначена исполнителю")
    a2 = queue(app, 1, "А: в работе")
    b1 = queue(app, 2, "Б: закрыта")
    assert outbox.run_once() == 2  # chat 1's second message waits for its first, and a second
    assert texts(telegram, 1) == ["А: назначена исполнителю"] and texts(telegram, 2) == ["Б: закрыта"]
    outbox.pacer = Pacer(rate=1000, per_chat=0)  # as if a second has passed
    assert outbox.run_once() == 1
    assert texts(telegram, 1) == ["А: назначена исполнителю", "А: в работе"]
    state = rows(app)
    assert all(state[i].status == "sent" and state[i].sent_at is not None for i in (a1, a2, b1))
    assert outbox.run_once() == 0


def test_blocked_chat_is_failed_with_the_reason(app, telegram, outbox):
    telegram.block(3)
    row_id = queue(app, 3, "Статус изменён")
    outbox.run_once()
    row = rows(app)[row_id]
    assert row.status == "failed" and row.attempts == 1
    assert "403" in row.last_error and "blocked" in row.last_error


def test_network_error_is_retried_later_with_backoff(app, telegram, outbox):
    row_id = queue(app, 4, "Статус изменён")
    telegram.inject("sendMessage", "500")
    before = utcnow()
    outbox.run_once()
    row = rows(app)[row_id]
    assert row.status == "pending" and row.attempts == 1 and "500" in row.last_error
    assert row.next_attempt_at >= before + timedelta(seconds=2)
    assert outbox.run_once() == 0  # not due yet
    with app.app_context():
        db.session.execute(update(Notification).values(next_attempt_at=utcnow()))
        db.session.commit()
    outbox.pacer = Pacer(rate=1000, per_chat=0)
    assert outbox.run_once() == 1
    row = rows(app)[row_id]
    assert row.status == "sent" and row.attempts == 2 and row.last_error == ""
    assert texts(telegram, 4) == ["Статус изменён"]


def test_dropped_connection_is_retried_not_failed(app, telegram, outbox):
    row_id = queue(app, 5, "Статус изменён")
    telegram.inject("sendMessage", "drop")
    outbox.run_once()
    row = rows(app)[row_id]
    assert row.status == "pending" and "Connection" in row.last_error


def test_flood_control_pauses_all_sending(app, telegram, outbox):
    row_id = queue(app, 6, "Статус изменён")
    telegram.inject("sendMessage", "429", retry_after=30)
    before = utcnow()
    outbox.run_once()
    row = rows(app)[row_id]
    assert row.status == "pending" and row.attempts == 0  # Telegram's pace, not the message's fault
    assert row.next_attempt_at >= before + timedelta(seconds=30)
    assert outbox.pacer.pause_left() > 25


def test_gives_up_after_many_attempts(app, telegram, outbox):
    row_id = queue(app, 7, "Статус изменён")
    with app.app_context():
        db.session.execute(update(Notification).values(attempts=MAX_ATTEMPTS - 1))
        db.session.commit()
    telegram.inject("sendMessage", "502")
    outbox.run_once()
    row = rows(app)[row_id]
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS and "502" in row.last_error


def test_overlong_text_is_cut_to_telegram_limit(app, telegram, outbox):
    queue(app, 8, "Комментарий: " + "я" * 5000)
    outbox.run_once()
    [message] = telegram.messages(8)
    assert len(message.text) == 4096
