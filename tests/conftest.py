"""Shared fixtures.

Every test that takes `app` runs on SQLite, and again on PostgreSQL when
TEST_DATABASE_URL points at a server (`.ci/run` sets it when one answers).
The schema is built by the real Alembic migrations, once per backend.
"""
import functools
import os
import shutil

import pytest
from flask.ctx import RequestContext
from flask_migrate import upgrade
from flask_wtf.csrf import generate_csrf
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from werkzeug.security import generate_password_hash
from werkzeug.test import create_environ

from app import create_app
from app.config import normalise_database_url
from app.extensions import db
from app.models import StaffUser
from devtools import databases
from tests import app_caches, factories, shared

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])

app_caches.install()

ADMIN_PASSWORD = "admin-secret-1"
OPERATOR_PASSWORD = "operator-secret-1"


def base_config(tmp_path, database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "STORAGE_DIR": str(tmp_path / "storage"),
    }


def migrate_database(tmp_path, database_url: str) -> None:
    app = create_app(base_config(tmp_path, database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def pytest_configure(config):
    config.test_run_dir = shared.start_run()


def pytest_unconfigure(config):
    run_dir = getattr(config, "test_run_dir", None)
    if run_dir is not None and (run_dir / PG_TEMPLATE).exists():
        databases.drop_postgres_database(PG_URL, (run_dir / PG_TEMPLATE).read_text())
    shared.end_run(run_dir)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file, copied for each test (much faster than migrating each time); migrated
    once for the whole run (tests/shared.py)."""
    path = shared.folder() / "template.db"
    with shared.exclusive("sqlite-template"):
        if not path.exists():
            root = tmp_path_factory.mktemp("sqlite-template")
            migrate_database(root, f"sqlite:///{root / 'template.db'}")
            shutil.copy(root / "template.db", path)
    return path


PG_TEMPLATE = "pg-template.name"


def private_postgres_database(template: str | None = None):
    """A new database on the TEST_DATABASE_URL server (empty, or a copy of `template`), dropped
    afterwards; yields its URL."""
    return databases.private_postgres_database(PG_URL, "zhkh_test", template=template)


def postgres_template(tmp_path_factory) -> str:
    """The name of a database migrated once for the whole run, which each test process copies
    (CREATE DATABASE ... TEMPLATE: a file copy, not a migration); the controller drops it at the end."""
    name_file = shared.folder() / PG_TEMPLATE
    with shared.exclusive("pg-template"):
        if not name_file.exists():
            url = databases.create_postgres_database(PG_URL, "zhkh_template")
            migrate_database(tmp_path_factory.mktemp("pg-template"), url)
            name_file.write_text(url.rsplit("/", 1)[1])
        return name_file.read_text()


@pytest.fixture(scope="session")
def postgres_ready(tmp_path_factory):
    """A private migrated database on the TEST_DATABASE_URL server for this test process, dropped at the end."""
    with private_postgres_database(template=postgres_template(tmp_path_factory)) as url:
        yield url


@functools.cache
def _engine(url: str):
    return create_engine(url, poolclass=NullPool)


def truncate_postgres(url: str) -> None:
    """Empty every table and restart every sequence, as a freshly migrated database has them.

    DELETE, children first, rather than TRUNCATE: on a test's few rows it takes ~15 ms where
    TRUNCATE, which replaces each table's files, takes ~200 ms, paid by every PostgreSQL test."""
    with _engine(url).begin() as conn:
        sequences = conn.execute(text("SELECT quote_ident(sequence_schema) || '.' || quote_ident(sequence_name) "
                                      "FROM information_schema.sequences")).scalars().all()
        conn.execute(text("; ".join(f'DELETE FROM "{t.name}"' for t in reversed(db.metadata.sorted_tables))))
        conn.execute(text("SELECT " + ", ".join(f"setval('{s}', 1, false)" for s in sequences)))
        conn.execute(text("INSERT INTO counters (name, value) VALUES ('request', 0)"))


@pytest.fixture
def database_url(request, tmp_path):
    """A fresh, migrated database for one test, on the backend of the test's parameter."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        path = tmp_path / "app.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_ready")
    truncate_postgres(url)
    return url


def pytest_generate_tests(metafunc):
    if "database_url" in metafunc.fixturenames:
        only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("database_url", ["sqlite"] if only_sqlite else BACKENDS, indirect=True)


@pytest.fixture
def app(request, database_url, tmp_path):
    """The app on the test's database; `@pytest.mark.app_config(NAME=value)` adds settings."""
    marker = request.node.get_closest_marker("app_config")
    app = create_app({**base_config(tmp_path, database_url), **(marker.kwargs if marker else {})})
    with app.app_context():
        db.session.add(_staff("admin", ADMIN_PASSWORD, "admin", "Анна Администратор"))
        db.session.add(_staff("operator", OPERATOR_PASSWORD, "operator", "Олег Оператор"))
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _staff(login, password, role, full_name):
    user = StaffUser(login=login, role=role, full_name=full_name)
    user.password_hash = _password_hash(password)
    return user


@functools.cache
def _password_hash(password: str) -> str:
    """Hashed once per run and cheaply: the default scrypt costs ~0.1 s per hash and per login."""
    return generate_password_hash(password, method="pbkdf2:sha256:1000")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An app context for arranging data directly through the models."""
    with app.app_context():
        yield factories


PASSWORDS = {"admin": ADMIN_PASSWORD, "operator": OPERATOR_PASSWORD}


class StaffClient:
    """One browser of a staff member: `login` and `logout` go through the real forms, `post` sends the
    session's CSRF token as the pages' forms do (use `client` directly to post without one).

    Each request runs in its own app context, as in production: otherwise the test's context (the
    `ctx` fixture) would share `g`, the signed-in user and the session across requests and hide bugs.
    """

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()

    @classmethod
    def signed_in(cls, app, login: str, password: str | None = None, remember: bool = False):
        browser = cls(app)
        response = browser.login(login, password, remember)
        assert response.status_code == 302, f"{login} could not sign in"
        return browser

    def login(self, login="admin", password=None, remember=False, **kwargs):
        data = {"login": login, "password": password or PASSWORDS[login]}
        if remember:
            data["remember"] = "y"
        return self.post("/login", data, **kwargs)

    def logout(self):
        return self.post("/logout")

    def csrf_token(self) -> str:
        """The CSRF token of this browser's session (made now if it has none), as its forms carry it.
        Its own app context: Flask-WTF caches the token in `g`, which the test's context would share."""
        with self.app.app_context(), self.client.session_transaction() as session:
            with RequestContext(self.app, create_environ(), session=session):
                return generate_csrf()

    def open(self, *args, **kwargs):
        with self.app.app_context():
            return self.client.open(*args, **kwargs)

    def get(self, url, **kwargs):
        return self.open(url, method="GET", **kwargs)

    def post(self, url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.open(url, method="POST", data=data, **kwargs)

    def page(self, url, **kwargs) -> str:
        """The HTML of a page that must answer 200."""
        response = self.get(url, **kwargs)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)

    def is_signed_in(self) -> bool:
        return self.get("/").status_code == 200

    def close(self) -> None:
        """Drop the session cookie, as closing the browser does: only a remember-me cookie is left."""
        self.client.delete_cookie(self.app.config["SESSION_COOKIE_NAME"])


@pytest.fixture
def visitor(app):
    """A browser nobody has signed in with yet (`browser` is the headless Chromium of tests/browser)."""
    return StaffClient(app)


@pytest.fixture
def staff_client(app):
    """`staff_client("operator", remember=True)`: a new browser signed in as that user (one per call)."""
    return functools.partial(StaffClient.signed_in, app)


@pytest.fixture
def admin(staff_client, ctx):
    """Signed in as the administrator; the test itself holds an app context (`ctx`)."""
    return staff_client("admin")


@pytest.fixture
def operator(staff_client, ctx):
    """Signed in as the operator (dispatcher); the test itself holds an app context (`ctx`)."""
    return staff_client("operator")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    """Under pytest-xdist (`--dist loadgroup`, pytest.ini), the tests of a module that shares a
    module-scoped fixture (a bot world and its worker process) run on one worker, so the world
    starts once; so do the browser tests, so that one Chromium runs and pages do not wait on each
    other's. Every other test goes to whichever worker is free."""
    for item in items:
        fixturedefs = getattr(item, "_fixtureinfo", None)
        fixturedefs = fixturedefs.name2fixturedefs.values() if fixturedefs else []
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
        elif any(defs[-1].scope == "module" for defs in fixturedefs):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """A failed test that ran bot workers shows the tail of each worker's log."""
    report = yield
    if report.when == "call" and report.failed:
        for value in item.funcargs.values():
            for world in getattr(value, "worlds", [value]):
                worker = getattr(world, "worker", None)
                if hasattr(worker, "log_tail"):
                    report.sections.append(("worker log", worker.log_tail(80)))
    return report
