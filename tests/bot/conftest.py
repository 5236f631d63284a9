"""Bot fixtures: a local Bot API server and the real worker process (`python bot_worker.py`) against it.

`bot_world` (one per test module) owns a migrated SQLite database with reference
data, the local API, and the worker process; tests create residents with fresh
Telegram ids, so they never share a dialog.
"""
import itertools
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app import create_app
from app.extensions import db
from app.models import Category, Client, Executor, StaffUser, Subcategory
from app.services import storage
from devtools.local_api import LocalBotApi, Resident
from devtools.worker_process import WorkerProcess
from tests.conftest import StaffClient, base_config

_user_ids = itertools.count(5_000_001)
_accounts = itertools.count(300_001)
# Quick polls and notifications, few threads, and a low identification limit to reach in a test.
WORKER_SETTINGS = {"SECRET_KEY": "test-secret", "BOT_POLL_TIMEOUT": 2, "BOT_THREADS": 4,
                   "NOTIFY_INTERVAL_MS": 100, "IDENT_MAX_ATTEMPTS": 3}
CLIENTS = [
    # account, full name, street, house, letter, apartment
    ("100001", "Иванов Иван Иванович", "ул. Ленина", "5", "А", "12"),
    ("100002", "Петрова Анна Сергеевна", "ул. Садовая", "17", "", "3"),
    ("100003", "Сидоров Пётр Ильич", "пр. Мира", "1", "Б", "40"),
    ("100004", "Кузнецова Мария Павловна", "ул. Садовая", "17", "", "8"),
]
PHONE = "+79123456789"


def seed(app) -> None:
    with app.app_context():
        for account, name, street, house, letter, apartment in CLIENTS:
            db.session.add(Client(account=account, full_name=name, city="Самара", street=street, house=house,
                                  house_letter=letter, apartment=apartment, phone=""))
        plumbing = Category(name="Сантехника", sort_order=1)
        power = Category(name="Электрика", sort_order=2)
        yard = Category(name="Благоустройство", sort_order=3)  # no subcategories
        db.session.add_all([plumbing, power, yard])
        db.session.flush()
        for order, name in enumerate(["Протечка", "Засор", "Нет горячей воды"]):
            db.session.add(Subcategory(category_id=plumbing.id, name=name, sort_order=order))
        for order, name in enumerate(["Нет света в подъезде", "Искрит розетка"]):
            db.session.add(Subcategory(category_id=power.id, name=name, sort_order=order))
        db.session.add(Executor(full_name="Петров Пётр", position="Сантехник"))
        db.session.commit()


class BotWorld:
    def __init__(self, root: Path, database_url: str, **env_overrides):
        self.root = root
        self.storage = root / "storage"
        self.app = create_app(base_config(root, database_url))
        self.api = LocalBotApi().start()
        self.worker = WorkerProcess(self.api, root / "worker.log", database_url, root / "instance", self.storage,
                                    **{**WORKER_SETTINGS, **env_overrides})

    def stored(self, ref: str) -> bytes | None:
        """A file of the store as the web app reads it (the worker keeps photos in the database by default)."""
        with self.app.app_context():
            return storage.read(ref)

    def resident(self, name: str = "Жилец") -> Resident:
        return Resident(self.api, next(_user_ids), name)

    def new_account(self, street: str = "ул. Новая") -> str:
        """A flat of its own (a household no other test shares): its ЛС."""
        account = str(next(_accounts))
        with self.app.app_context():
            db.session.add(Client(account=account, full_name=f"Жилец {account}", city="Самара", street=street,
                                  house=account[-2:], apartment="1"))
            db.session.commit()
        return account

    def identified(self, account: str = "100001", phone: str = PHONE) -> Resident:
        """A resident who has passed identification and sees the main menu."""
        r = self.resident()
        r.send("/start")
        r.expect("идентификацию")
        r.send("Идентификация")
        agree(r)
        r.send(account)
        r.expect("Лицевой счёт найден")
        r.send(phone)
        r.expect("Готово! Вы привязаны")
        return r

    def close(self) -> None:
        if self.worker.running:
            self.worker.stop()
        self.api.stop()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


CONSENT = "Согласие на обработку персональных данных"


def agree(r: Resident) -> None:
    """Answer the consent notice with «Согласен»: the bot asks for the ЛС next."""
    notice = r.expect(CONSENT, "Вы согласны")
    assert notice.buttons == ["Согласен", "Не согласен"]
    r.press("Согласен", notice)
    r.expect("Введите номер лицевого счёта")


def make_world(tmp_path_factory, sqlite_template, **env) -> BotWorld:
    root = tmp_path_factory.mktemp("bot")
    path = root / "app.db"
    shutil.copy(sqlite_template, path)
    world = BotWorld(root, f"sqlite:///{path}", **env)
    seed(world.app)
    return world


def dispatcher() -> StaffUser:
    """The staff member who works the requests in a bot test (call inside the world's app context)."""
    user = db.session.execute(select(StaffUser).where(StaffUser.login == "dispatcher")).scalar_one_or_none()
    if user is None:
        user = StaffUser(login="dispatcher", full_name="Диспетчер Дарья", password_hash="x")
        db.session.add(user)
        db.session.flush()
    return user


def staff_browser(world: BotWorld, login: str = "web-dispatcher") -> StaffClient:
    """A dispatcher signed in to the world's web app (the request page beside the bot)."""
    with world.app.app_context():
        if db.session.execute(select(StaffUser).where(StaffUser.login == login)).first() is None:
            user = StaffUser(login=login, full_name="Вера Диспетчер")
            user.password_hash = generate_password_hash("web-secret-1", method="pbkdf2:sha256:1000")
            db.session.add(user)
            db.session.commit()
    return StaffClient.signed_in(world.app, login, "web-secret-1")


def running(world: BotWorld):
    """For a test's `world` fixture: the module's world with its worker running again and no faults
    injected, whatever the previous test (a kill, a flood of 429s) did to it."""
    if not world.worker.running:
        world.worker.start()
    world.api.clear_faults()
    yield world
    world.api.clear_faults()


@pytest.fixture(scope="module")
def bot_world(tmp_path_factory, sqlite_template):
    """The worker running against the local API, one per test module."""
    world = make_world(tmp_path_factory, sqlite_template)
    world.worker.start()
    yield world
    world.close()
