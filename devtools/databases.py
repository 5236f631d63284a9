"""Throw-away PostgreSQL databases for the tests and the benchmarks."""
import contextlib
import os
import uuid

from sqlalchemy import create_engine, make_url, text

from app.config import normalise_database_url


@contextlib.contextmanager
def private_postgres_database(server_url: str, prefix: str):
    """A new, empty database on the server, dropped afterwards (connections still open are cut);
    yields its URL. Private, so that runs sharing one server never see each other's tables."""
    server = make_url(normalise_database_url(server_url))
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
