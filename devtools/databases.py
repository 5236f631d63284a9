"""Throw-away PostgreSQL databases for the tests and the benchmarks."""
import contextlib
import os
import uuid

from sqlalchemy import create_engine, make_url, text

from app.config import normalise_database_url


def create_postgres_database(server_url: str, prefix: str, template: str | None = None) -> str:
    """A new database on the server (empty, or a copy of the `template` database); returns its URL.
    Its name is made here (prefix, process, random), never taken from outside, so it is safe to quote."""
    server = make_url(normalise_database_url(server_url))
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if template is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            assert template.replace("_", "").isalnum(), template
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(server_url: str, name: str) -> None:
    """Drop the database (connections still open are cut)."""
    assert name.replace("_", "").isalnum(), name
    admin = create_engine(make_url(normalise_database_url(server_url)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextlib.contextmanager
def private_postgres_database(server_url: str, prefix: str, template: str | None = None):
    """A new database on the server (empty, or a copy of `template`), dropped afterwards; yields its
    URL. Private, so that runs sharing one server never see each other's tables."""
    url = create_postgres_database(server_url, prefix, template)
    try:
        yield url
    finally:
        drop_postgres_database(server_url, make_url(url).database)


def postgres_reachable(url: str) -> bool:
    """Whether a PostgreSQL server answers at the URL (a bench skips or refuses the engine if not)."""
    try:
        engine = create_engine(normalise_database_url(url))
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL at {url} is not reachable ({type(exc).__name__})")
        return False
