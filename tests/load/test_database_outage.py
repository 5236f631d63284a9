"""The database goes away for a while under the running worker, which says so and recovers by itself.

SQLite: another process holds the write lock longer than the worker's busy timeout (what a
long VACUUM or a forgotten `BEGIN EXCLUSIVE` in a shell does; the worker keeps its open
file handles, so moving the file away, as tests/web does, would not reach it).
PostgreSQL: the worker talks to the server through a loopback proxy that the test cuts,
like a server restart or a network failure, and restores.

In both, while the database is unavailable:
- a resident's message gets "Сервис временно недоступен…" and, once the database is back,
  the real answer (the update is kept, not lost, and the dialog goes on);
- a status notification sent just before the outage began is recorded once the database
  is back, and not sent twice;
- the worker logs the outage as an ERROR and is never restarted.
"""
import sqlite3

import pytest
from sqlalchemy import make_url, select

from app.extensions import db
from app.models import Executor, Notification, Request, StaffUser
from app.services.requests import lifecycle as request_service
from tests.bot.conftest import BotWorld, seed
from tests.bot.test_requests import requests_of, start_request, to_summary
from tests.conftest import PG_URL, truncate_postgres
from tests.load.conftest import reply
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.e2e

UNAVAILABLE = "Сервис временно недоступен"


class SqliteLock:
    """Another connection holding SQLite's write lock (readers go on, writers wait, then fail)."""

    def __init__(self, path: str):
        self.conn = sqlite3.connect(path, isolation_level=None)

    def start(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def end(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


class ProxyCut:
    def __init__(self, proxy: TcpProxy):
        self.proxy = proxy

    def start(self) -> None:
        self.proxy.cut()

    def end(self) -> None:
        self.proxy.restore()


def log_has(world, text: str) -> bool:
    return text in world.worker.log()


def move_status(world, request_id: int) -> str:
    """A dispatcher assigns the request (the web app's path: history + an outbox row); the text."""
    with world.app.app_context():
        request = db.session.get(Request, request_id)
        staff = StaffUser(login=f"outage-{request_id}", password_hash="x")
        db.session.add(staff)
        executor = db.session.execute(select(Executor)).scalars().first()
        request_service.assign_executor(request, executor, staff)
        db.session.commit()
        return f"Статус вашей заявки № {request.number} изменён: назначена исполнителю."


def notifications(world) -> list[Notification]:
    """Status notifications (the outbox also carries the bot's durable replies)."""
    with world.app.app_context():
        rows = db.session.execute(select(Notification).where(Notification.kind == "status")).scalars().all()
        db.session.expunge_all()
        return rows


def outage_scenario(world, outage) -> None:
    pid = world.worker.proc.pid
    r = world.identified()
    to_summary(r)
    r.press("Да, это мой номер")
    reply(r, "Заявка №")
    [first] = requests_of(world, r.user_id)
    start_request(r)

    # A notification is on its way to Telegram (slowly) when the database goes.
    world.api.inject("sendMessage", "delay", seconds=1.5)
    notice = move_status(world, first.id)
    assert world.api.wait_until(lambda: not world.api.faults, 10)
    outage.start()
    try:
        r.send("Течёт с потолка в ванной")
        reply(r, UNAVAILABLE, timeout=20)
        assert world.api.wait_until(lambda: log_has(world, "Outbox: cannot record notification"), 10)
        assert world.api.wait_until(lambda: log_has(world, "Database unavailable while handling update"), 10)
    finally:
        outage.end()

    reply(r, "Записал", timeout=40)  # the same message, handled once the database is back
    assert log_has(world, "Database available again")
    assert world.api.wait_until(lambda: [n.status for n in notifications(world)] == ["sent"], 40)
    r.send("Готово")
    reply(r, "Описание принято")
    reply(r, "Проверьте заявку")
    r.press("Да, это мой номер")
    reply(r, "Заявка №")

    requests = requests_of(world, r.user_id)
    assert [q.description for q in requests] == ["Течёт кран на кухне", "Течёт с потолка в ванной"]
    texts = [m.text for m in world.api.messages(r.chat_id)]
    assert texts.count(notice) == 1  # sent before the outage, recorded after it, not sent again
    assert sum(UNAVAILABLE in t for t in texts) == 1  # told once, not on every retry
    assert world.worker.running and world.worker.proc.pid == pid


@pytest.mark.sqlite_only
def test_worker_rides_out_a_locked_sqlite_database(worlds):
    world = worlds.sqlite(SQLITE_BUSY_TIMEOUT_MS=300)
    world.worker.start()
    outage_scenario(world, SqliteLock(make_url(world.app.config["SQLALCHEMY_DATABASE_URI"]).database))
    assert log_has(world, "database is locked")


@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")
def test_worker_rides_out_a_postgresql_outage(worlds, postgres_ready, tmp_path):
    truncate_postgres(postgres_ready)
    url = make_url(postgres_ready)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    try:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        world = worlds.add(BotWorld(tmp_path, postgres_ready, DATABASE_URL=proxied))
        seed(world.app)
        world.worker.start()
        outage_scenario(world, ProxyCut(proxy))
    finally:
        proxy.close()
