"""Fixtures for load and fault tests: the real worker (tests/bot's BotWorld) plus the staff web
app served by waitress over loopback, and helpers that read a resident's chat."""
import re
import threading

import pytest
import requests
from waitress import wasyncore
from waitress.server import create_server
from werkzeug.security import generate_password_hash

from app import create_app
from app.extensions import db
from app.models import Client, StaffUser
from devtools.local_api import BotMessage, Resident
from tests.bot.conftest import BotWorld, make_world
from tests.conftest import base_config

NOTIFICATION = "Статус вашей заявки"
BAD_REPLIES = ("Произошла ошибка", "Сервис временно недоступен")
STAFF_PASSWORD = "dispatcher-secret-1"


def add_clients(app, count: int, first_account: int = 300_000) -> list[str]:
    """`count` more clients (one flat each, so no account reaches its binding limit); their ЛС."""
    accounts = [str(first_account + i) for i in range(count)]
    with app.app_context():
        db.session.add_all(Client(account=account, full_name=f"Жилец {account}", city="Самара",
                                  street="ул. Молодёжная", house="9", apartment=str(i + 1), phone="")
                           for i, account in enumerate(accounts))
        db.session.commit()
    return accounts


def add_staff(app, *logins: str) -> None:
    password_hash = generate_password_hash(STAFF_PASSWORD, method="pbkdf2:sha256:1000")
    with app.app_context():
        db.session.add_all(StaffUser(login=login, full_name=f"Диспетчер {login}", role="operator",
                                     password_hash=password_hash) for login in logins)
        db.session.commit()


def reply(r: Resident, *fragments: str, timeout: float | None = None) -> BotMessage:
    """The bot's next answer, skipping status notifications that the outbox sends meanwhile."""
    while True:
        message = r.next_message(timeout)
        if not message.text.startswith(NOTIFICATION):
            break
    missing = [f for f in fragments if f not in message.text]
    if missing:
        raise AssertionError(f"expected {missing!r} in the bot's reply:\n{message.text}\n\n" + r.dump())
    return message


def bad_replies(world: BotWorld, chat_ids) -> list[str]:
    """Apologies and "service unavailable" notes the bot sent to these chats."""
    return [f"{chat}: {m.text}" for chat in chat_ids for m in world.api.messages(chat)
            if any(bad in m.text for bad in BAD_REPLIES)]


def log_problems(world: BotWorld) -> list[str]:
    return world.worker.problems("database is locked")


class WebServer:
    """The staff web app under waitress (as production serves it) in a thread of this process."""

    def __init__(self, root, database_url: str, threads: int = 4):
        config = {**base_config(root, database_url), "TESTING": False}
        self.app = create_app(config)
        self.server = create_server(self.app, host="127.0.0.1", port=0, threads=threads)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, name="waitress", daemon=True)
        self.thread.start()

    def session(self, login: str) -> requests.Session:
        """A signed-in browser-like session (cookies, CSRF tokens from the pages)."""
        s = requests.Session()
        s.trust_env = False  # loopback: never a proxy
        page = s.get(self.url + "/login", timeout=30)
        answer = s.post(self.url + "/login", data={"login": login, "password": STAFF_PASSWORD,
                                                   "csrf_token": csrf_of(page.text)},
                        allow_redirects=False, timeout=30)
        assert answer.status_code in (302, 303), f"login {login}: {answer.status_code}"
        return s

    def close(self) -> None:
        # Close the sockets from the server's own loop thread: closing them from here while
        # that thread sits in select() makes it fail with EBADF.
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        self.thread.join(timeout=10)
        self.server.task_dispatcher.shutdown()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Worlds:
    """Makes BotWorlds (not started: a test sets the worker's environment first); closes them all."""

    def __init__(self, tmp_path_factory, sqlite_template):
        self.tmp_path_factory, self.sqlite_template = tmp_path_factory, sqlite_template
        self.worlds: list[BotWorld] = []

    def sqlite(self, **env) -> BotWorld:
        world = make_world(self.tmp_path_factory, self.sqlite_template, **env)
        self.worlds.append(world)
        return world

    def add(self, world: BotWorld) -> BotWorld:
        self.worlds.append(world)
        return world

    def close(self) -> None:
        while self.worlds:
            self.worlds.pop().close()


@pytest.fixture
def worlds(tmp_path_factory, sqlite_template):
    made = Worlds(tmp_path_factory, sqlite_template)
    yield made
    made.close()

