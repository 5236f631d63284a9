"""Fast tests of the bot's pure pieces: buttons, error handling, retries, pacing, state storage, the local API."""
import json
import threading

import pytest
import requests
from sqlalchemy import event
from telebot.apihelper import ApiTelegramException
from telebot.types import Message, Update

from app.bot import dialog, routing, sender, settings, transport
from app.bot.backoff import Backoff
from app.bot.identify import contact_phone
from app.bot.incoming import text_is
from app.bot.outbox import Pacer, backoff_seconds
from app.bot.storage import DatabaseStateStorage
from app.extensions import db
from app.models import Conversation, Executor
from app.telegram import codec, common, resident
from app.telegram import executor as executor_voice
from devtools.local_api import LocalBotApi, Resident


def telegram_error(code: int, description: str = "x", retry_after: int | None = None):
    body = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return ApiTelegramException("sendMessage", None, body)


def test_text_is_ignores_case_and_spaces():
    check = text_is("Готово")
    message = Message.de_json({"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"},
                               "text": "  готово "})
    assert check(message)
    message.text = "Готово!"
    assert not check(message)


@pytest.mark.parametrize("exc, kind", [
    (telegram_error(429, retry_after=3), sender.FLOOD),
    (telegram_error(403, "Forbidden: bot was blocked by the user"), sender.PERMANENT),
    (telegram_error(400, "Bad Request: chat not found"), sender.PERMANENT),
    (telegram_error(500), sender.RETRY),
    (telegram_error(502), sender.RETRY),
    (requests.ConnectionError("refused"), sender.RETRY),
    (requests.Timeout("slow"), sender.RETRY),
    (ValueError("a bug"), sender.PERMANENT),
])
def test_classify(exc, kind):
    assert sender.classify(exc) == kind


def test_retry_after_reads_telegram_parameters():
    assert sender.retry_after(telegram_error(429, retry_after=7)) == 7
    assert sender.retry_after(telegram_error(429), default=2) == 2


def test_call_with_retries_honours_flood_and_stops_on_permanent_errors():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise telegram_error(429, retry_after=0)
        return "ok"

    assert sender.call_with_retries(flaky) == "ok" and len(calls) == 3

    def blocked():
        calls.append(1)
        raise telegram_error(403)

    calls.clear()
    with pytest.raises(ApiTelegramException):
        sender.call_with_retries(blocked)
    assert len(calls) == 1

    stop = threading.Event()
    stop.set()  # shutting down: no waiting between attempts
    calls.clear()
    with pytest.raises(requests.ConnectionError):
        sender.call_with_retries(lambda: calls.append(1) or (_ for _ in ()).throw(requests.ConnectionError()),
                                 stop=stop)
    assert len(calls) == 1


class RecordingStop:
    """A stop event that records how long each wait was asked to be instead of sleeping."""

    def __init__(self, stop_at_wait: int | None = None):
        self.waits: list[float] = []
        self.stop_at_wait = stop_at_wait  # the wait during which "the worker is asked to stop"

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        return len(self.waits) == self.stop_at_wait

    def is_set(self) -> bool:
        return self.stop_at_wait is not None and len(self.waits) >= self.stop_at_wait


def test_backoff_doubles_up_to_its_cap_and_starts_over_after_reset():
    stop, backoff = RecordingStop(), Backoff(1.0, cap=30.0)
    assert all(backoff.wait(stop) for _ in range(7))
    assert stop.waits == [1, 2, 4, 8, 16, 30, 30]
    backoff.reset()
    backoff.wait(stop)
    assert stop.waits[-1] == 1


def test_backoff_waits_what_telegram_asks_and_still_lengthens_the_next_delay():
    stop, backoff = RecordingStop(), Backoff(0.5, cap=10.0)
    backoff.wait(stop, 7)  # a 429 with retry_after 7
    backoff.wait(stop)
    assert stop.waits == [7, 1.0]


def test_backoff_with_factor_one_keeps_a_fixed_delay():
    stop, backoff = RecordingStop(), Backoff(5.0, factor=1.0, cap=5.0)
    for _ in range(3):
        backoff.wait(stop)
    assert stop.waits == [5, 5, 5]


def test_backoff_wait_returns_false_when_stopping():
    stop = threading.Event()
    stop.set()
    assert Backoff(60.0).wait(stop) is False  # returns at once: no 60 s sleep
    recording, backoff = RecordingStop(stop_at_wait=2), Backoff(1.0)
    assert [backoff.wait(recording), backoff.wait(recording)] == [True, False]


def test_call_with_retries_backs_off_and_caps_flood_waits():
    failures = [requests.ConnectionError("refused")] * 6 + [telegram_error(429, retry_after=120)] * 2

    def flaky():
        if failures:
            raise failures.pop(0)
        return "ok"

    stop = RecordingStop()
    assert sender.call_with_retries(flaky, stop=stop, attempts=9, max_wait=60.0) == "ok"
    assert stop.waits == [0.5, 1, 2, 4, 8, 10, 60, 60]  # network: doubling up to 10 s; 429: retry_after, ≤ 60


def test_call_with_retries_gives_up_when_stopping():
    stop = RecordingStop(stop_at_wait=2)
    with pytest.raises(requests.ConnectionError):
        sender.call_with_retries(lambda: (_ for _ in ()).throw(requests.ConnectionError()), stop=stop)
    assert stop.waits == [0.5, 1]


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_pacer_spaces_sends_globally_and_per_chat():
    clock = FakeClock()
    pacer = Pacer(rate=25, per_chat=1.0, clock=clock)
    waits = [pacer.reserve(chat) for chat in (1, 2, 3)]
    assert waits == pytest.approx([0.0, 0.04, 0.08])  # 25 a second overall
    assert pacer.reserve(1) == pytest.approx(1.0)  # chat 1 again: a second after its last
    assert not pacer.chat_ready(1)
    clock.now += 1.1
    assert pacer.chat_ready(2)


def test_pacer_pause_after_429_delays_everyone():
    clock = FakeClock()
    pacer = Pacer(rate=25, clock=clock)
    pacer.pause(5)
    assert pacer.pause_left() == pytest.approx(5)
    assert pacer.reserve(42) == pytest.approx(5)


def test_backoff_grows_and_is_capped():
    assert [backoff_seconds(n) for n in (1, 2, 3)] == [2, 4, 8]
    assert backoff_seconds(30) == 15 * 60


@pytest.mark.parametrize("raw, expected", [
    ("79123456789", "+79123456789"), ("+79123456789", "+79123456789"), (" 380501234567 ", "+380501234567"),
])
def test_contact_phone_gets_its_plus(raw, expected):
    assert contact_phone(raw) == expected


def test_state_storage_round_trip(app):
    storage = DatabaseStateStorage()
    with app.app_context():
        storage.begin_update()
        assert storage.get_state(7, 7) is None and storage.get_data(7, 7) == {}
        storage.set_state(7, 7, "NewRequest:category")
        storage.set_data(7, 7, "desc", "Течёт кран 💧")
        db.session.commit()
    with app.app_context():  # another update: read back from the database
        storage.begin_update()
        assert storage.get_state(7, 7) == "NewRequest:category"
        with storage.get_interactive_data(7, 7) as data:
            data["photos"] = [{"file_id": "F1"}]
        db.session.commit()
        row = db.session.get(Conversation, 7)
        assert json.loads(row.data) == {"desc": "Течёт кран 💧", "photos": [{"file_id": "F1"}]}
    with app.app_context():
        storage.begin_update()
        assert storage.delete_state(7, 7)
        db.session.commit()
        storage.begin_update()
        assert storage.get_state(7, 7) is None and storage.get_data(7, 7) == {}


def test_state_storage_writes_once_at_commit_and_forgets_on_rollback(app):
    storage = DatabaseStateStorage()
    statements = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", note)
        storage.begin_update()
        storage.set_state(8, 8, "Writing:message")
        storage.save(8, 8, {"request": 1})
        storage.save(8, 8, {"request": 2})
        assert not any("conversations" in s and "SELECT" not in s for s in statements)  # nothing written yet
        db.session.commit()
        assert sum("INSERT INTO conversations" in s for s in statements) == 1
        storage.begin_update()
        storage.set_state(8, 8, "Writing:message")  # as it was: nothing to write
        db.session.commit()
        assert not any("UPDATE conversations" in s for s in statements)
        storage.begin_update()
        storage.set_state(8, 8, "NewRequest:category")
        db.session.rollback()  # the update failed: its state change is dropped with everything else
        db.session.commit()
        storage.begin_update()
        assert storage.get_state(8, 8) == "Writing:message" and storage.get_data(8, 8) == {"request": 2}
        event.remove(db.engine, "before_cursor_execute", note)



def test_the_state_read_brings_the_users_facts_in_the_same_statement(app):
    from app.bot.bot import create_bot
    from app.services.people import bindings, consent
    from tests import factories
    storage = create_bot("123:TEST").current_states
    statements = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        worker = factories.executor()
        resident_client = factories.client()
        db.session.flush()
        worker.telegram_user_id = 9001
        bindings.bind(resident_client, 9002, 9002, "+79120000000")
        db.session.commit()
        event.listen(db.engine, "before_cursor_execute", note)
        facts = {}
        for user in (9001, 9002, 9003):
            storage.begin_update()
            facts[user] = tuple(storage.fact(user, name) for name in ("executor_id", "bound", "consented"))
            assert storage.get_state(user, user) is None
        assert len(statements) == 3  # one statement per user: the state and all three facts
        assert facts[9001] == (worker.id, False, False)
        assert (facts[9002][0], bool(facts[9002][1]), bool(facts[9002][2])) == (None, True, False)
        assert (facts[9003][0], bool(facts[9003][1])) == (None, False)
        consent.record(9002, consent.stored_version(), consent.AGREED)
        worker.active = False  # a switched-off executor acts as nobody's
        db.session.commit()
        storage.begin_update()
        assert bool(storage.fact(9002, "consented")) and storage.fact(9001, "executor_id") is None
        event.remove(db.engine, "before_cursor_execute", note)

# --- routing: the first matching row, as telebot's linear matching finds it ---

EXECUTOR_USER, RESIDENT_USER = 7001, 7002


def _message(user: int, chat_type: str = "private", **content) -> Update:
    return Update.de_json({"update_id": 1, "message": {
        "message_id": 5, "date": 0, "chat": {"id": user, "type": chat_type},
        "from": {"id": user, "is_bot": False, "first_name": "Жилец"}, **content}})


def _press(user: int, data: str) -> Update:
    return Update.de_json({"update_id": 1, "callback_query": {
        "id": "q1", "chat_instance": "c", "data": data, "from": {"id": user, "is_bot": False, "first_name": "Ж"},
        "message": {"message_id": 5, "date": 1, "chat": {"id": user, "type": "private"}, "text": "карточка"}}})


def _inputs(user: int) -> list[Update]:
    typed = ["/start", "/start inv_0123456789abcdef", "/cancel", "/help", "/other", "привет", "123456",
             "+79123456789", " готово ", "да", "нет"]
    typed += [value for voice in (common, resident, executor_voice) for name, value in vars(voice).items()
              if name.startswith("BTN_")]
    photo = [{"file_id": "P", "file_unique_id": "U", "width": 1, "height": 1}]
    updates = [_message(user, text=text) for text in typed]
    updates += [_message(user, chat_type="group", text="/start"), _message(user, photo=photo),
                _message(user, document={"file_id": "D", "file_unique_id": "U", "mime_type": "image/png"}),
                _message(user, document={"file_id": "D", "file_unique_id": "U", "mime_type": "application/pdf"}),
                _message(user, contact={"phone_number": "79123456789", "first_name": "Ж", "user_id": user}),
                _message(user, sticker={"file_id": "S", "file_unique_id": "U", "width": 1, "height": 1,
                                        "is_animated": False, "is_video": False, "type": "regular"}),
                _message(user, location={"latitude": 1.0, "longitude": 2.0})]
    actions = ["cat", "sub", "back", "yes", "no", "cancel", "replace", "keep"]
    data = [codec.dialog_button(flow, action, 1) for flow in ("f1f1f1f1", "00000000") for action in actions]
    data += [f"rq:{action}:1" for action in ("list", "card", "write", "yes", "no", "rate", "take", "finish", "job")]
    data += [settings.SWITCH_ON, settings.SWITCH_OFF, "garbage", ""]
    return updates + [_press(user, value) for value in data]


@pytest.mark.sqlite_only  # routing: the engine changes nothing, and thousands of rollbacks cost a minute on PostgreSQL
def test_router_takes_the_row_telebots_linear_matching_takes(app):
    """For every dialog state, executors and residents, and many inputs of every kind, the router's
    row is the first of all rows (in registration order) that telebot's own filter test accepts."""
    from app.bot.bot import create_bot, handler_table

    bot = create_bot("1:test")
    states = {None} | {getattr(s, "name", s) for step in handler_table() if step.state is not routing.ANY_STATE
                       for s in (step.state if isinstance(step.state, list) else [step.state])}
    with app.app_context():
        db.session.add(Executor(full_name="Мастер", position="Сантехник", telegram_user_id=EXECUTOR_USER,
                                telegram_chat_id=EXECUTOR_USER))
        db.session.commit()
        checked = 0
        for user in (EXECUTOR_USER, RESIDENT_USER):
            for state in sorted(states, key=str):
                for update in _inputs(user):
                    dialog.begin(dialog.Turn(bot, user, user))
                    bot.current_states.begin_update()
                    bot.current_states.set_state(user, user, state)
                    bot.current_states.save(user, user, {"flow": "f1f1f1f1"})
                    event, handlers = (update.message, bot.message_handlers) if update.message is not None \
                        else (update.callback_query, bot.callback_query_handlers)
                    linear = next((h["function"] for h in handlers if bot._test_message_handler(h, event)), None)
                    found = bot.router.match(update)
                    assert (found[0] if found else None) is linear, (user, state, update)
                    checked += linear is not None
                    db.session.rollback()
        assert checked > 500
        dialog.end()


# --- the local Bot API server and the transport talking to it ---

@pytest.fixture
def api():
    with LocalBotApi() as server:
        yield server


def call(api, method, http_timeout=5.0, **params):
    return transport.send("post", f"{api.url}/bot{api.token}/{method}", params=params,
                          timeout=(http_timeout, http_timeout))


def test_local_api_get_updates_confirms_by_offset_and_replays_duplicates(api):
    resident = Resident(api, 77)
    first = resident.send("раз")
    second = resident.send("два", duplicate=True)
    batch = call(api, "getUpdates").json()["result"]
    assert [u["update_id"] for u in batch] == [first, second]
    # both confirmed; the duplicate is delivered once more, as Telegram may do
    assert call(api, "getUpdates", offset=second + 1).json()["result"] == [batch[1]]
    assert call(api, "getUpdates", offset=second + 1, timeout=0).json()["result"] == []


def test_local_api_records_messages_and_edits(api):
    sent = call(api, "sendMessage", chat_id=5, text="Привет",
                reply_markup=json.dumps({"inline_keyboard": [[{"text": "Да", "callback_data": "f:yes"}]]}))
    message_id = sent.json()["result"]["message_id"]
    again = call(api, "editMessageText", chat_id=5, message_id=message_id, text="Привет",
                 reply_markup=json.dumps({"inline_keyboard": [[{"text": "Да", "callback_data": "f:yes"}]]}))
    assert again.status_code == 400 and "not modified" in again.json()["description"]
    call(api, "editMessageReplyMarkup", chat_id=5, message_id=message_id)
    [message] = api.messages(5)
    assert message.text == "Привет" and message.buttons == [] and message.edits == 1
    assert transport.send("post", f"{api.url}/bot1:wrong/getMe", timeout=(5, 5)).status_code == 401


def test_transport_maps_faults_to_requests_errors(api):
    api.inject("getMe", "drop")
    with pytest.raises(requests.ConnectionError):
        call(api, "getMe")
    api.inject("getMe", "delay", seconds=1.0)
    with pytest.raises(requests.Timeout):
        call(api, "getMe", http_timeout=0.2)
    api.inject("getMe", "429", retry_after=3)
    flood = call(api, "getMe")
    assert flood.status_code == 429 and flood.json()["parameters"]["retry_after"] == 3
    assert call(api, "getMe").json()["result"]["username"] == "uk_local_bot"


def test_connection_dropped_after_the_method_ran(api):
    api.inject("sendMessage", "drop_after")
    with pytest.raises(requests.ConnectionError):
        call(api, "sendMessage", chat_id=9, text="дошло, но ответ потерян")
    assert [m.text for m in api.messages(9)] == ["дошло, но ответ потерян"]


@pytest.mark.parametrize("answer, keeps", [
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"7\r\n{\"ok\":t\r\n4;x=1\r\nrue}\r\n0\r\n\r\n", True),
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"ok\":true}", False),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}", False),
])
def test_transport_reads_chunked_and_unsized_answers(answer, keeps):
    """Answers as other servers (a proxy in front of the Bot API) may frame them; the request arrives whole."""
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    requests_seen = []

    def serve():
        conn, _ = server.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data or not data.endswith(b"}"):
                data += conn.recv(65536)
            requests_seen.append(data)
            conn.sendall(answer)
            if not keeps:
                conn.shutdown(socket.SHUT_WR)
            conn.recv(1)  # until the client closes (or sends the next request)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/bot1:x/sendMessage"
    response = transport.send("post", url, params={"chat_id": 5, "text": "Привет", "reply_markup": None},
                              timeout=(5, 5))
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert json.loads(requests_seen[0].split(b"\r\n\r\n", 1)[1]) == {"chat_id": 5, "text": "Привет"}
    conn = transport._local.conns[("http", f"127.0.0.1:{server.getsockname()[1]}")]
    assert (conn.sock is not None) == keeps
    conn.close()
    server.close()
