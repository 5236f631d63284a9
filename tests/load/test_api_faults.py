"""A sweep of Bot API faults against the real worker: every update handled exactly once, every
outbox row sent, and exactly once where the fault shows the method did not run.

tests/bot already checks single faults (a 500 or a dropped getUpdates, 500/502 on replies,
429 on the outbox, a blocked chat). Here each fault the issue lists hits each kind of call
in turn — getUpdates, the replies, the outbox — including timeouts and answers lost after
the method ran, and the counts are checked at the end.

Timeouts are provoked with TELEGRAM_TIMEOUT=2: the worker gives up on an answer after 2 s
(on getUpdates 5 s beyond its 1 s long poll, telebot's minimum), and the local API is told
to answer later than that.
When a sendMessage timed out or its answer was lost, the message may have been delivered:
the worker sends it again rather than risk losing it (Telegram has no idempotency key), so
there "at least once" is the promise, and a second copy is all it may cost.
"""
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Notification, ProcessedUpdate
from tests.bot.test_requests import number_in, requests_of, start_request
from tests.load.conftest import bad_replies, log_problems, reply

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]

TIMEOUT = 2  # TELEGRAM_TIMEOUT for the worker
POLL = 1  # BOT_POLL_TIMEOUT
POLL_GIVES_UP = POLL + 5  # telebot waits for a getUpdates answer at least 5 s beyond the long poll
OUTBOX_CHAT = 6_000_000


@pytest.fixture(scope="module")
def world(tmp_path_factory, sqlite_template):
    from tests.bot.conftest import make_world
    world = make_world(tmp_path_factory, sqlite_template, TELEGRAM_TIMEOUT=TIMEOUT, BOT_POLL_TIMEOUT=POLL)
    world.worker.start()
    world.pid = world.worker.proc.pid
    yield world
    world.close()


def inject_and_wait_taken(world, method: str, kind: str, **options) -> None:
    """Queue one fault and wait until the worker's next call of `method` has run into it."""
    world.api.inject(method, kind, **options)
    assert world.api.wait_until(lambda: not world.api.faults, 10), f"{method} {kind} was never called"


def test_every_update_handled_exactly_once_across_get_updates_faults(world):
    r = world.identified()
    start_request(r)
    faults = [("500", {}), ("502", {}), ("429", {"retry_after": 1}), ("drop", {}),
              ("drop_after", {}),  # the batch was taken from the queue, its answer lost on the way
              ("delay", {"seconds": POLL_GIVES_UP + 1})]  # answered after the worker gave up
    parts = []
    for k, (kind, options) in enumerate(faults, 1):
        inject_and_wait_taken(world, "getUpdates", kind, **options)
        parts.append(f"часть {k}: после {kind}")
        r.send(parts[-1])
        reply(r, "Записал", timeout=15)
    r.send("Готово")
    reply(r, "Описание принято")
    reply(r, "Проверьте заявку")
    r.press("Да, это мой номер")
    reply(r, "Заявка №")

    [request] = requests_of(world, r.user_id)
    assert request.description == "\n".join(parts)  # each part once, in order
    assert sum("Записал" in m.text for m in world.api.messages(r.chat_id)) == len(parts)
    pushed = next(world.api._update_ids) - 1  # update ids are 1, 2, ... in the order pushed
    with world.app.app_context():
        processed = db.session.execute(select(ProcessedUpdate.update_id)).scalars().all()
    assert sorted(processed) == list(range(1, pushed + 1))  # none lost, none twice
    assert world.worker.running and world.worker.proc.pid == world.pid


def test_replies_get_through_send_faults(world):
    r = world.identified()
    world.api.inject("sendMessage", "429", retry_after=1)
    r.send("Создать заявку")
    reply(r, "Выберите категорию")
    world.api.inject("editMessageText", "500")
    world.api.inject("answerCallbackQuery", "drop")
    r.press("Сантехника")
    world.api.inject("editMessageText", "502")
    r.press("Протечка")
    reply(r, "Опишите проблему")
    world.api.inject("sendMessage", "drop")
    r.send("Искрит щиток")
    reply(r, "Записал")
    r.send("Готово")
    reply(r, "Описание принято")
    summary = reply(r, "Проверьте заявку")
    world.api.inject("sendMessage", "delay", seconds=TIMEOUT + 1)  # timed out: may arrive twice
    r.press("Да, это мой номер", message=summary)
    number = number_in(reply(r, "Заявка №", timeout=15).text)

    texts = [m.text for m in world.api.messages(r.chat_id)]
    assert texts.count("Категория: Сантехника / Протечка") == 1  # the category message, edited twice
    for start in ["Опишите проблему", "Записал", "Описание принято", "Проверьте заявку"]:
        assert sum(t.startswith(start) for t in texts) == 1, (start, texts)
    assert 1 <= sum(t.startswith(f"Заявка № {number} принята") for t in texts) <= 2
    assert len(requests_of(world, r.user_id)) == 1
    assert world.worker.running and world.worker.proc.pid == world.pid


def queue(world, rows: dict[int, list[str]]) -> None:
    """Notification rows, as the web app writes them when a dispatcher changes statuses."""
    with world.app.app_context():
        for chat_id, texts in rows.items():
            db.session.add_all(Notification(chat_id=chat_id, text=text) for text in texts)
        db.session.commit()


def all_sent(world) -> bool:
    with world.app.app_context():
        return not db.session.execute(select(func.count()).select_from(Notification)
                                      .where(Notification.status != "sent")).scalar_one()


def test_outbox_sends_every_row_across_faults(world):
    # Faults that show the message was not sent: every row exactly once, in order per chat.
    rows = {OUTBOX_CHAT + c: [f"Заявка {c}-{k}: статус изменён" for k in range(3)] for c in range(4)}
    for kind, options in [("500", {}), ("502", {}), ("429", {"retry_after": 1}), ("drop", {})]:
        world.api.inject("sendMessage", kind, **options)
    started = time.monotonic()
    queue(world, rows)
    assert world.api.wait_until(lambda: all_sent(world), 60)
    for chat_id, texts in rows.items():
        assert [m.text for m in world.api.messages(chat_id)] == texts
    with world.app.app_context():
        retried = db.session.execute(select(func.count()).select_from(Notification)
                                     .where(Notification.last_error != "")).scalar_one()
    assert retried == 0  # each row's last attempt succeeded and cleared its error

    # Faults after which the message may have arrived: every row at least once, at most twice.
    ambiguous = {OUTBOX_CHAT + 10 + c: [f"Заявка {c}: закрыта"] for c in range(3)}
    world.api.inject("sendMessage", "delay", seconds=TIMEOUT + 1)
    world.api.inject("sendMessage", "drop_after")
    queue(world, ambiguous)
    assert world.api.wait_until(lambda: all_sent(world), 60)
    copies = [len(world.api.messages(chat_id)) for chat_id in ambiguous]
    assert all(1 <= n <= 2 for n in copies) and sum(copies) <= len(ambiguous) + 2

    assert bad_replies(world, list(world.api.chats)) == []
    assert log_problems(world) == []
    assert world.worker.running and world.worker.proc.pid == world.pid
    print(f"\noutbox rows delivered across faults in {time.monotonic() - started:.1f} s")
