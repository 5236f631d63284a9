"""`flask transfer-db`: a SQLite database moves into PostgreSQL, the web app and the bot worker run on
the copy; targets that are not empty, bad URLs and a failed copy leave the target as it was.

Each PostgreSQL target is a private database (tests.conftest.private_postgres_database).
"""
import re
import shutil

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, inspect, select, text, update
from sqlalchemy.pool import NullPool

from app import create_app
from app.config import normalise_database_url
from app.extensions import db
from app.models import Client, Executor, Request, RequestEvent, RequestPhoto, StaffUser
from app.services.requests import lifecycle as request_service
from app.services.requests.statuses import Status
from tests import factories
from devtools.worker_process import WorkerProcess
from tests.bot.conftest import WORKER_SETTINGS, BotWorld
from tests.bot.test_requests import MENU, start_request
from tests.conftest import PG_URL, StaffClient, base_config, migrate_database, private_postgres_database

needs_postgres = pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")
ADMIN, ADMIN_PASSWORD = "transfer-admin", "transfer-secret-1"
TABLES = db.metadata.sorted_tables


def engine(url: str):
    return create_engine(normalise_database_url(url), poolclass=NullPool)


def contents(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key, as the models' types read it."""
    eng = engine(url)
    try:
        with eng.connect() as conn:
            return {t.name: [tuple(row) for row in conn.execute(select(t).order_by(*t.primary_key.columns))]
                    for t in TABLES}
    finally:
        eng.dispose()


def scalar(url: str, statement):
    eng = engine(url)
    try:
        with eng.connect() as conn:
            return conn.execute(statement).scalar_one()
    finally:
        eng.dispose()


def counts(url: str) -> dict[str, int]:
    return {name: len(rows) for name, rows in contents(url).items()}


def table_names(url: str) -> list[str]:
    eng = engine(url)
    try:
        with eng.connect() as conn:
            return sorted(inspect(conn).get_table_names())
    finally:
        eng.dispose()


def transfer(app, url: str):
    return app.test_cli_runner().invoke(args=["transfer-db", "--to", url])


# --- a living SQLite database moves, and everything runs on the copy ---------------------------

class Source:
    """Demo data on SQLite, and what residents left in it through the real bot worker.

    The world's local Bot API plays the same Telegram before and after the move: update ids go on.
    """

    def __init__(self, world: BotWorld, url: str):
        self.world, self.url, self.app, self.root = world, url, world.app, world.root
        self.worlds = [world]  # the report hook shows the worker's log of a failed test
        self.bound = None  # filed a request with a photo; the status moved
        self.request_id = self.number = None
        self.midway = None  # stopped halfway through a new request


@pytest.fixture(scope="module")
def source(tmp_path_factory, sqlite_template):
    """Yields the Source; its worker is stopped, its Bot API still runs."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    root = tmp_path_factory.mktemp("transfer-source")
    shutil.copy(sqlite_template, root / "app.db")
    url = f"sqlite:///{root / 'app.db'}"
    world = BotWorld(root, url)
    src = Source(world, url)
    try:
        runner = world.app.test_cli_runner()
        for args in (["seed-demo", "--clients", "40", "--requests", "60"],
                     ["create-admin", "--login", ADMIN, "--password", ADMIN_PASSWORD]):
            result = runner.invoke(args=args)
            assert result.exit_code == 0, result.output
        with world.app.app_context():
            accounts = db.session.execute(select(Client.account).order_by(Client.id).limit(2)).scalars().all()
        world.worker.start()
        src.bound = world.identified(accounts[0], "+79123450001")
        start_request(src.bound, "Сантехника", "Протечка")
        src.bound.send_photo(b"\xff\xd8 leak under the sink", caption="Течёт под раковиной")
        src.bound.expect("Фото добавлено (1 из 10)")
        src.bound.send("Готово")
        src.bound.expect("Описание принято")
        src.bound.expect("Проверьте заявку")
        src.bound.press("Да, это мой номер")
        src.number = int(re.search(r"Заявка № (\d+)", src.bound.expect("Заявка №").text).group(1))
        with world.app.app_context():
            request = db.session.execute(select(Request).where(Request.number == src.number)).scalar_one()
            src.request_id = request.id
            dispatcher = db.session.execute(select(StaffUser).where(StaffUser.login == ADMIN)).scalar_one()
            request_service.assign_executor(request, db.session.get(Executor, 1), dispatcher)
            db.session.commit()
        src.bound.expect(f"Статус вашей заявки № {src.number} изменён: назначена исполнителю.")

        def photo_stored() -> bool:
            with world.app.app_context():
                return bool(db.session.execute(select(RequestPhoto.file_path)).scalar_one())
        assert world.api.wait_until(photo_stored, 15)

        src.midway = world.identified(accounts[1], "+79123450002")
        start_request(src.midway, "Электрика", "Не горит свет в подъезде")
        src.midway.send("Темно на третьем этаже")
        src.midway.expect("Записал")
        world.worker.stop()
        yield src
    finally:
        world.close()


@pytest.fixture(scope="module")
def copied(source):
    """The source transferred into a new PostgreSQL database; yields the command's result and the URL."""
    with private_postgres_database() as url:
        yield transfer(source.app, url), url


def test_every_table_arrives_row_for_row(source, copied):
    result, url = copied
    assert result.exit_code == 0, result.output
    before, after = contents(source.url), contents(url)
    for table in TABLES:
        assert after[table.name] == before[table.name], table.name
        assert re.search(rf"^  {table.name} +{len(before[table.name])} -> {len(after[table.name])}\s*$",
                         result.output, re.M), table.name
    for name in ("clients", "requests", "request_events", "request_photos", "telegram_bindings",
                 "notifications", "conversations", "processed_updates", "bot_status", "staff_users", "counters"):
        assert before[name], f"the source has no {name}: the test would prove nothing"
    assert "rows/s" in result.output and "DIFFERS" not in result.output
    assert "alembic_version" in table_names(url) and "requests_search" not in " ".join(table_names(url))


def test_a_request_keeps_its_history_and_photos(source, copied):
    _, url = copied

    def of_request(db_url):
        eng = engine(db_url)
        try:
            with eng.connect() as conn:
                return tuple(conn.execute(select(model.__table__).where(model.request_id == source.request_id)
                                          .order_by(model.id)).all() for model in (RequestEvent, RequestPhoto))
        finally:
            eng.dispose()

    events, photos = of_request(url)
    assert of_request(source.url) == (events, photos)
    assert [(e.kind, e.to_status) for e in events] == [("created", "new"), ("executor", None), ("status", "assigned")]
    assert events[0].created_at.tzinfo is not None
    [photo] = photos
    assert photo.telegram_file_id and photo.file_path.startswith("db:")  # the photo is a row: it was copied too


def test_the_web_app_runs_on_the_copy(source, copied):
    _, url = copied
    app = create_app(base_config(source.root, url))  # the same STORAGE_DIR: the photos stay where they are
    client = StaffClient.signed_in(app, ADMIN, ADMIN_PASSWORD)
    journal = client.get("/").get_data(as_text=True)
    assert f">{source.number}</a>" in journal and "Течёт под раковиной" in journal  # the newest request
    page = client.get(f"/requests/{source.request_id}").get_data(as_text=True)
    for fragment in ("Течёт под раковиной", "назначена исполнителю", "Житель (Telegram)", "+7 912 345-00-01"):
        assert fragment in page, fragment
    photo_url = re.search(rf"/requests/{source.request_id}/photos/\d+", page).group(0)
    assert client.get(photo_url).data == b"\xff\xd8 leak under the sink"

    with app.app_context():
        last_number = db.session.execute(select(func.max(Request.number))).scalar_one()
        last_id = db.session.execute(select(func.max(Request.id))).scalar_one()
        admin = db.session.execute(select(StaffUser).where(StaffUser.login == ADMIN)).scalar_one()
        request = request_service.create_request(
            client=db.session.get(Client, 1), category=db.session.get(Request, 1).category,
            description="Звонок в диспетчерскую", actor=admin, source="phone")
        request_service.add_comment(request, admin, "Принято по телефону")
        db.session.commit()
        assert (request.number, request.id) == (last_number + 1, last_id + 1)
        db.session.remove()
        db.engine.dispose()


@pytest.mark.e2e
def test_the_bot_worker_runs_on_the_copy(source, copied, tmp_path):
    _, url = copied
    world = source.world  # the same bot and Telegram, the worker restarted on the new database
    previous = world.worker
    world.worker = WorkerProcess(world.api, tmp_path / "worker.log", url, previous.env["INSTANCE_PATH"],
                                 previous.env["STORAGE_DIR"], **WORKER_SETTINGS)
    world.worker.start()
    bound = source.bound
    bound.send("/start")
    bound.expect("Главное меню")
    assert bound.keyboard == MENU  # still known: no identification asked
    bound.send("Мои заявки")
    listing = bound.expect("Ваши заявки (1–")  # the flat's requests: the demo's too
    [mine] = [b for b in listing.buttons if b.startswith(f"№ {source.number} ·")]  # the copied request
    assert "назначена исполнителю" in mine

    last_number = scalar(url, select(func.max(Request.number)))
    midway = source.midway
    midway.send("Готово")  # the dialog goes on where it stopped on SQLite
    midway.expect("Описание принято")
    midway.expect("Проверьте заявку", "Электрика / Не горит свет в подъезде", "Темно на третьем этаже")
    midway.press("Да, это мой номер")
    midway.expect(f"Заявка № {last_number + 1} принята")


# --- refusals: nothing is written ----------------------------------------------------------

@pytest.fixture
def target():
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    with private_postgres_database() as url:
        yield url


@pytest.fixture
def small(app):
    """A little data in the source (SQLite, and PostgreSQL where a test is not sqlite_only)."""
    with app.app_context():
        factories.request()
        factories.request(description="Нет света")
        factories.executor()
    return app


def test_either_backend_is_copied(small, target):
    """From SQLite, and from PostgreSQL (e.g. to a new server)."""
    result = transfer(small, target)
    assert result.exit_code == 0, result.output
    assert contents(target) == contents(small.config["SQLALCHEMY_DATABASE_URI"])


@pytest.mark.sqlite_only
def test_the_copy_ends_vacuumed_and_analyzed(small, target):
    """VACUUM ANALYZE after the commit: statistics for the planner, and every page of the copied tables
    marked all-visible, so the journal's counts read their indexes alone from the first page view."""
    result = transfer(small, target)
    assert result.exit_code == 0, result.output
    assert "VACUUM ANALYZE" in result.output
    eng = engine(target)
    try:
        with eng.connect() as conn:
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            stats = conn.execute(text(
                "SELECT relname, last_vacuum IS NOT NULL, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname IN ('requests', 'clients', 'request_events')")).all()
            pages, visible = conn.execute(text(
                "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'requests'")).one()
    finally:
        eng.dispose()
    assert sorted(map(tuple, stats)) == [(name, True, True) for name in ("clients", "request_events", "requests")]
    assert pages >= 1 and visible == pages


@pytest.mark.sqlite_only
def test_a_target_migrated_beforehand_but_empty_is_filled(small, target, tmp_path):
    migrate_database(tmp_path, target)  # `flask db upgrade` on it: only the request counter's first row
    result = transfer(small, target)
    assert result.exit_code == 0, result.output
    assert "already at" in result.output
    assert contents(target)["counters"] == [("request", 2)]
    assert counts(target)["requests"] == 2


@pytest.mark.sqlite_only
def test_a_target_with_data_is_refused(small, target, tmp_path):
    migrate_database(tmp_path, target)
    other = create_app(base_config(tmp_path, target))
    with other.app_context():
        factories.client(account="555")
        db.engine.dispose()
    result = transfer(small, target)
    assert result.exit_code == 1
    assert "Nothing written: the target already holds data (in clients)" in result.output
    assert [row[1] for row in contents(target)["clients"]] == ["555"] and counts(target)["requests"] == 0


@pytest.mark.sqlite_only
def test_a_target_at_another_revision_is_refused(small, target, tmp_path):
    other = create_app(base_config(tmp_path, target))
    with other.app_context():
        upgrade(revision="0002")
        db.engine.dispose()
    result = transfer(small, target)
    assert result.exit_code == 1
    assert "the target stands at revision 0002" in result.output
    assert scalar(target, text("SELECT version_num FROM alembic_version")) == "0002"
    assert scalar(target, text("SELECT count(*) FROM requests")) == 0


@pytest.mark.sqlite_only
def test_a_target_with_other_tables_is_refused(small, target):
    eng = engine(target)
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id integer PRIMARY KEY)"))
    eng.dispose()
    result = transfer(small, target)
    assert result.exit_code == 1
    assert "the target is not empty: it holds tables (invoices)" in result.output
    assert table_names(target) == ["invoices"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("url,message", [
    ("", "not a database URL"),
    ("zhkh on the new server", "not a database URL"),
    ("sqlite:///other.db", "the target must be a PostgreSQL database, not sqlite"),
    ("postgresql://zhkh:s3cret@127.0.0.1:1/zhkh",
     "cannot connect to postgresql+psycopg://zhkh:***@127.0.0.1:1/zhkh"),
    ("postgresql+nodriver://zhkh@127.0.0.1/zhkh", "not a usable database URL"),
])
def test_a_bad_url_is_refused(small, url, message):
    result = transfer(small, url)
    assert result.exit_code == 1
    assert f"Error: Nothing written: {message}" in result.output
    assert "s3cret" not in result.output


@needs_postgres
@pytest.mark.sqlite_only
def test_a_database_that_does_not_exist_is_refused(small, target):
    missing = target.rsplit("/", 1)[0] + "/zhkh_no_such_database"
    result = transfer(small, missing)
    assert result.exit_code == 1
    assert 'database "zhkh_no_such_database" does not exist' in result.output


@pytest.mark.sqlite_only
def test_a_source_behind_the_migrations_is_refused(target, tmp_path):
    behind = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'old.db'}"))
    with behind.app_context():
        upgrade(revision="0003")
    result = transfer(behind, target)
    assert result.exit_code == 1
    assert "the current database is at revision 0003" in result.output and "flask db upgrade" in result.output
    assert table_names(target) == []


@pytest.mark.sqlite_only
def test_a_failed_copy_leaves_the_target_empty_and_runs_again(small, target):
    with small.app_context():
        request = db.session.get(Request, 2)
        request_service.change_status(request, Status.CLOSED.value, None, "NUL\x00 from an old import")
        db.session.commit()
    result = transfer(small, target)
    assert result.exit_code == 1
    assert "Nothing written: request_events:" in result.output and "NUL" in result.output
    assert table_names(target) == []  # the migrations were rolled back with the copy

    with small.app_context():  # the operator mends the row
        db.session.get(Request, 2).events[-1].comment = "NUL from an old import"
        db.session.commit()
    result = transfer(small, target)
    assert result.exit_code == 0, result.output
    assert counts(target) == counts(small.config["SQLALCHEMY_DATABASE_URI"])


@pytest.mark.sqlite_only
def test_counts_that_differ_fail_loudly_and_write_nothing(small, target, tmp_path):
    migrate_database(tmp_path, target)
    eng = engine(target)
    with eng.begin() as conn:  # the target loses one executor on the way in
        conn.execute(text("CREATE FUNCTION drop_row() RETURNS trigger LANGUAGE plpgsql AS "
                          "'BEGIN RETURN NULL; END'"))
        conn.execute(text("CREATE TRIGGER lose_one BEFORE INSERT ON executors FOR EACH ROW "
                          "WHEN (NEW.full_name = 'Петров Пётр') EXECUTE FUNCTION drop_row()"))
    eng.dispose()
    result = transfer(small, target)
    assert result.exit_code == 1
    assert re.search(r"^  executors +1 -> 0 +DIFFERS$", result.output, re.M), result.output
    assert "Nothing written: row counts differ in executors; the copy was rolled back" in result.output
    assert {name: n for name, n in counts(target).items() if n} == {"counters": 1}  # as migrated


@pytest.mark.sqlite_only
def test_a_row_pointing_nowhere_fails_the_copy(small, target):
    """Foreign keys are added back after the load: they still check every row."""
    with small.app_context():
        db.session.execute(text("PRAGMA foreign_keys = OFF"))  # as an old or hand-edited file may have been
        db.session.execute(update(Request).where(Request.id == 2).values(executor_id=99))
        db.session.commit()
    result = transfer(small, target)
    assert result.exit_code == 1
    assert 'Nothing written: insert or update on table "requests" violates foreign key constraint ' \
           '"fk_requests_executor_id_executors"' in result.output
    assert "Key (executor_id)=(99) is not present" in result.output
    assert table_names(target) == []
