"""The outbox sender against the local Bot API, in-process, on every database backend."""
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from telebot import TeleBot, apihelper

from app.bot.outbox import MAX_ATTEMPTS, SEND_THREADS, OutboxSender, Pacer
from app.bot.sender import failure as sender_failure
from app.bot.worker import configure_api
from app.extensions import db
from app.models import Announcement, Notification, utcnow
from app.services.messaging import announcements
from app.services.messaging import outbox as outbox_service
from tests import factories
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
    assert row.status == "failed" and row.attempts == 1 and row.failure == "blocked"
    assert "403" in row.last_error and "blocked" in row.last_error
    assert outbox_service.state_text(row) == "не доставлено: житель заблокировал бота"


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
    assert row.failure == "gave_up"


def test_overlong_text_is_cut_to_telegram_limit(app, telegram, outbox):
    queue(app, 8, "Комментарий: " + "я" * 5000)
    outbox.run_once()
    [message] = telegram.messages(8)
    assert len(message.text) == 4096


def put(app, chat_id: int, text: str, **options) -> list[int]:
    """Rows queued as the app queues them (app.services.messaging.outbox.queue)."""
    with app.app_context():
        queued = outbox_service.queue(chat_id, text, **options)
        db.session.commit()
        return [row.id for row in queued]


def test_a_big_announcement_never_delays_a_request_message(app, telegram, outbox):
    for chat_id in range(100, 160):  # 60 chats: more than one round
        put(app, chat_id, "Отключение воды", kind="announcement", priority=outbox_service.BULK)
    [urgent] = put(app, 150, "Статус вашей заявки № 7 изменён: в работе.")  # queued last, same chat too
    outbox.round_size = 10
    assert outbox.run_once() == 10
    sent = rows(app)
    assert sent[urgent].status == "sent"  # first in the first round, before chat 150's announcement
    assert telegram.messages(150)[0].text.startswith("Статус вашей заявки")
    assert sum(r.status == "sent" for r in sent.values()) == 10


def test_long_text_is_split_and_buttons_go_under_the_last_part(app, telegram, outbox):
    text = ("Первая строка ответа.\n" + "слово " * 900).strip()  # ~5 400 characters
    markup = {"inline_keyboard": [[{"text": "Ответить", "callback_data": "reply:1"}]]}
    ids = put(app, 9, text, kind="message", buttons=markup)
    assert len(ids) == 2
    outbox.run_once()
    outbox.pacer = Pacer(rate=1000, per_chat=0)
    outbox.run_once()
    first, second = telegram.messages(9)
    assert len(first.text) <= 4096 and first.buttons == [] and second.buttons == ["Ответить"]
    assert (first.text + " " + second.text).split() == text.split()  # nothing lost at the cut
    assert all(r.telegram_message_id for r in rows(app).values())


def test_a_photo_is_uploaded_once_then_sent_by_its_file_id(app, telegram, outbox):
    storage = Path(app.config["STORAGE_DIR"])
    (storage / "notices").mkdir(parents=True)
    (storage / "notices" / "water.jpg").write_bytes(b"\xff\xd8jpeg-bytes")
    for chat_id in (21, 22):
        put(app, chat_id, "Плановое отключение воды", photo="notices/water.jpg", priority=outbox_service.BULK)
    outbox.run_once()
    [a], [b] = telegram.messages(21), telegram.messages(22)
    assert a.text == b.text == "Плановое отключение воды"
    assert a.photo == b.photo and telegram.file_bytes(a.photo) == b"\xff\xd8jpeg-bytes"


def test_a_caption_too_long_for_a_photo_follows_it(app, telegram, outbox):
    storage = Path(app.config["STORAGE_DIR"])
    storage.mkdir(parents=True, exist_ok=True)
    (storage / "p.jpg").write_bytes(b"img")
    ids = put(app, 23, "Подробности: " + "х" * 1500, photo="p.jpg")
    assert len(ids) == 2
    outbox.run_once()
    outbox.pacer = Pacer(rate=1000, per_chat=0)
    outbox.run_once()
    photo, text = telegram.messages(23)
    assert photo.photo and photo.text == "" and text.text.startswith("Подробности:")


def test_a_missing_photo_fails_the_row_without_sending(app, telegram, outbox):
    [row_id] = put(app, 24, "Фото", photo="../outside.jpg")
    outbox.run_once()
    row = rows(app)[row_id]
    assert row.status == "failed" and row.failure == "rejected" and telegram.messages(24) == []


@pytest.mark.parametrize("description,failure", [
    ("Forbidden: bot was blocked by the user", "blocked"),
    ("Bad Request: chat not found", "chat_gone"),
    ("Forbidden: user is deactivated", "chat_gone"),
    ("Bad Request: message is too long", "rejected"),
])
def test_why_a_message_failed(description, failure):
    error = apihelper.ApiTelegramException("sendMessage", None, {"error_code": 400, "description": description})
    assert sender_failure(error) == failure


def test_nothing_empty_is_queued(app):
    with app.app_context(), pytest.raises(ValueError):
        outbox_service.queue(1, "  ")


def test_replies_to_residents_are_not_held_to_the_overall_rate(app, telegram, outbox):
    outbox.pacer = Pacer(rate=1)  # one paced message a second
    put(app, 31, "Статус изменён")  # paced
    for chat_id in (32, 33, 34):
        put(app, chat_id, "Заявка № 1 принята", kind="reply")
    assert outbox.run_once() == 4
    assert [len(telegram.messages(c)) for c in (31, 32, 33, 34)] == [1, 1, 1, 1]
    assert outbox.pacer.reserve(35) > 0.5  # the one paced send used the second's only slot


def test_no_send_is_booked_while_every_send_thread_is_held_up(app, telegram):
    """Sends queued behind stalled ones would all go out together when the stall ends, beyond the
    rate: a send is booked only when a thread is free to make it."""
    release, lock = threading.Event(), threading.Lock()
    busy, busy_at_booking = [0], []

    class StallingBot(TeleBot):
        def send_message(self, *args, **kwargs):
            with lock:
                busy[0] += 1
            release.wait(10)
            try:
                return super().send_message(*args, **kwargs)
            finally:
                with lock:
                    busy[0] -= 1

    class WatchedPacer(Pacer):
        def reserve(self, chat_id, paced=True):
            with lock:
                busy_at_booking.append(busy[0])
            return super().reserve(chat_id, paced)

    sender = OutboxSender(app, StallingBot(telegram.token, threaded=False), threading.Event(), rate=1000)
    sender.pacer = WatchedPacer(rate=1000)
    for chat_id in range(300, 310):
        put(app, chat_id, "Отключение воды", priority=outbox_service.BULK)
    round_ = threading.Thread(target=sender.run_once)
    round_.start()
    assert telegram.wait_until(lambda: busy[0] == SEND_THREADS, 10)
    release.set()
    round_.join(10)
    sender.pool.shutdown()
    assert len(busy_at_booking) == 10 and max(busy_at_booking) < SEND_THREADS
    assert all(len(telegram.messages(chat_id)) == 1 for chat_id in range(300, 310))


def notice_rows(app, chats) -> int:
    """A sent notice with a pending row for each chat; returns its id."""
    with app.app_context():
        notice = Announcement(text="Отключение воды", sent_at=utcnow(), recipients=len(chats))
        db.session.add(notice)
        db.session.flush()
        db.session.add_all(Notification(chat_id=chat, text="Отключение воды", kind="announcement",
                                        priority=outbox_service.BULK, announcement_id=notice.id) for chat in chats)
        db.session.commit()
        return notice.id


def stop(app, notice_id: int) -> announcements.Stopped:
    """«Остановить отправку», as the notice's page does."""
    with app.app_context():
        stopped = announcements.cancel(db.session.get(Announcement, notice_id), factories.staff("operator"))
        db.session.commit()
        return stopped


def test_rows_cancelled_after_the_round_read_them_are_not_sent(app, telegram, outbox):
    chats = list(range(8101, 8106))
    notice_id = notice_rows(app, chats)
    read, stopped = outbox.due, []

    def read_then_stopped():  # staff stop the notice between the round's read and its sends
        found = read()
        stopped.append(stop(app, notice_id))
        return found

    outbox.due = read_then_stopped
    assert outbox.run_once() == 5
    assert stopped == [announcements.Stopped(cancelled=5, in_flight=0)]
    assert all(texts(telegram, chat) == [] for chat in chats)
    assert {row.status for row in rows(app).values()} == {"cancelled"}
    with app.app_context():
        report = announcements.reports([notice_id])[notice_id]
    assert (report.cancelled, report.delivered, report.pending) == (5, 0, 0)  # the figure staff were told


def test_a_row_in_flight_when_the_notice_is_stopped_is_not_retried(app, telegram, outbox):
    notice_id = notice_rows(app, [8201])
    claim, stopped = outbox.claim, []

    def claim_then_stopped(row):  # stopped while the row is on its way, and Telegram then fails it
        taken = claim(row)
        stopped.append(stop(app, notice_id))
        return taken

    outbox.claim = claim_then_stopped
    telegram.inject("sendMessage", "500")
    assert outbox.run_once() == 1
    assert stopped == [announcements.Stopped(cancelled=0, in_flight=1)]
    [row] = rows(app).values()
    assert row.status == "cancelled" and row.attempts == 1
    with app.app_context():
        db.session.execute(update(Notification).values(next_attempt_at=utcnow()))
        db.session.commit()
    outbox.pacer = Pacer(rate=1000, per_chat=0)
    assert outbox.run_once() == 0 and texts(telegram, 8201) == []


def test_a_row_left_sending_by_a_killed_worker_is_sent_after_a_restart(app, telegram, outbox):
    """A worker killed between claiming a row and recording its send leaves it `sending`: the next
    worker sends it (at least once), and meanwhile the chat's later rows wait behind it."""
    first = queue(app, 8301, "Статус изменён: в работе")
    second = queue(app, 8301, "Статус изменён: выполнена")
    with app.app_context():
        db.session.execute(update(Notification).where(Notification.id == first).values(status="sending"))
        db.session.commit()
    assert outbox.run_once() == 1  # a new worker: the interrupted row again, the next one after it
    assert texts(telegram, 8301) == ["Статус изменён: в работе"]
    outbox.pacer = Pacer(rate=1000, per_chat=0)
    assert outbox.run_once() == 1
    assert texts(telegram, 8301) == ["Статус изменён: в работе", "Статус изменён: выполнена"]
    assert {rows(app)[i].status for i in (first, second)} == {"sent"}
