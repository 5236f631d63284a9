"""The Alembic migrations build the schema the models describe, on every backend."""
import os
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, create_engine, func, inspect, make_url, select, text

from app import create_app
from app.config import BASE_DIR, normalise_database_url
from app.extensions import db
from app.models import Request, StaffUser, utcnow
from app.search import include_in_autogenerate, text_contains
from app.services import storage
from tests import factories
from tests.conftest import BACKENDS, PG_URL, base_config, private_postgres_database
from tests.images import png

HEAD = ScriptDirectory(str(BASE_DIR / "migrations")).get_current_head()
SQLITE_SEARCH = {("table", "requests_search"), ("trigger", "requests_search_insert"),
                 ("trigger", "requests_search_update"), ("trigger", "requests_search_delete")}
POSTGRES_SEARCH = {("index", f"ix_requests_search_{c}") for c in ("client_full_name", "city", "street", "description")}


def test_migrated_schema_matches_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_in_autogenerate})
        diff = compare_metadata(context, db.metadata)
        assert diff == []
        tables = set(inspect(conn).get_table_names())
    assert {"clients", "requests", "telegram_bindings", "notifications", "staff_users"} <= tables


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path):
    """A database no migration has touched, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        with private_postgres_database() as url:
            yield url


def search_objects() -> set[tuple[str, str]]:
    """The search index's tables, triggers (SQLite) and indexes (PostgreSQL) in the database."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT type, name FROM sqlite_master WHERE name LIKE 'requests_search%'"))
        else:
            rows = conn.execute(text("SELECT 'index', indexname FROM pg_indexes "
                                     "WHERE tablename = 'requests' AND indexname LIKE 'ix_requests_search_%'"))
        return {tuple(row) for row in rows}


def request_at_this_revision(description: str) -> int:
    """A request written as the schema is at the revision the database is at (the models describe
    the newest one, which may have more columns): NOT NULL columns the test does not care about
    get a plain value of their type."""
    tables = MetaData()
    with db.engine.begin() as conn:
        tables.reflect(conn, only=["categories", "requests"])

        def insert(table, **values) -> int:
            for column in table.columns:
                if not (column.name in values or column.nullable or column.primary_key or column.server_default):
                    kind = column.type.python_type
                    values[column.name] = utcnow() if kind is datetime else kind(True if kind is bool else 0)
            return conn.execute(table.insert().values(**values)).inserted_primary_key[0]

        category = insert(tables.tables["categories"], name=f"Категория {uuid.uuid4().hex[:6]}")
        number = uuid.uuid4().int % 10**9
        return insert(tables.tables["requests"], number=number, category_id=category, description=description)


def found(term: str) -> list[int]:
    return db.session.execute(select(Request.id).where(text_contains(Request.description, term))).scalars().all()


def test_search_index_migration_goes_down_and_up(empty_database, tmp_path):
    app = create_app(base_config(tmp_path, empty_database))
    expected = SQLITE_SEARCH if empty_database.startswith("sqlite") else POSTGRES_SEARCH
    with app.app_context():
        upgrade(revision="0002")
        assert search_objects() == set()
        cellar = request_at_this_revision("Вода в ПОДВАЛЕ")  # filed before the index exists
        db.session.remove()  # no open transaction may hold a lock the migration waits for
        upgrade()
        assert expected <= search_objects()
        assert found("подвал") == [cellar]  # indexed when the index was made
        db.session.remove()

        downgrade(revision="0002")
        assert search_objects() == set()
        attic = request_at_this_revision("Течёт на чердаке")
        db.session.remove()

        upgrade()
        assert expected <= search_objects()
        assert (found("подвал"), found("ЧЕРДАК")) == ([cellar], [attic])
        db.session.remove()
        db.engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")
def test_migration_without_pg_trgm_privilege_succeeds_unindexed(tmp_path, capsys):
    """A database user who may not create extensions still migrates; search stays a scan."""
    role = f"zhkh_noext_{uuid.uuid4().hex[:8]}"
    server = create_engine(normalise_database_url(PG_URL), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    try:
        with private_postgres_database() as url:
            owner = create_engine(url, isolation_level="AUTOCOMMIT")
            with owner.connect() as conn:
                conn.execute(text("DROP EXTENSION IF EXISTS pg_trgm"))  # not inherited from a template
                conn.execute(text(f'GRANT CREATE ON SCHEMA public TO "{role}"'))  # tables, not extensions
            app = create_app(base_config(tmp_path, make_url(url).set(username=role).render_as_string(hide_password=False)))
            with app.app_context():
                upgrade()
                assert search_objects() == set()
                cellar = factories.request(description="Вода в ПОДВАЛЕ").id
                assert found("подвал") == [cellar]
                db.session.remove()
                db.engine.dispose()
            with owner.connect() as conn:
                assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
                assert conn.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")).scalar() == 0
            owner.dispose()
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        server.dispose()
    # Alembic's logging configuration (migrations/alembic.ini) writes warnings to stderr.
    assert "WARNI [alembic.runtime.migration] pg_trgm could not be created" in capsys.readouterr().err


def test_session_token_migration_fills_existing_users_and_goes_down_and_up(empty_database, tmp_path):
    app = create_app(base_config(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as conn:  # users from before the token existed
            conn.execute(text(
                "INSERT INTO staff_users (login, full_name, password_hash, role, active, created_at) "
                "VALUES ('anna', '', 'x', 'admin', true, :now), ('oleg', '', 'x', 'operator', true, :now)"
            ), {"now": utcnow()})
        upgrade()
        tokens = db.session.execute(select(StaffUser.login, StaffUser.session_token)).all()
        assert len(tokens) == 2 and all(len(token) == 32 for _, token in tokens)
        assert tokens[0].session_token != tokens[1].session_token
        db.session.remove()

        downgrade(revision="0004")
        with db.engine.connect() as conn:
            assert "session_token" not in {c["name"] for c in inspect(conn).get_columns("staff_users")}
        upgrade()
        assert db.session.execute(select(func.count()).where(StaffUser.session_token.is_not(None))).scalar() == 2
        db.session.remove()
        db.engine.dispose()


def test_conversation_migration_keeps_requests_and_their_search_index(empty_database, tmp_path):
    """0007 adds columns to `requests` in place: the rows already there read as «no messages, no
    verdict», and the search index (triggers on SQLite) keeps working both ways."""
    app = create_app(base_config(tmp_path, empty_database))
    expected = SQLITE_SEARCH if empty_database.startswith("sqlite") else POSTGRES_SEARCH
    with app.app_context():
        upgrade(revision="0006")
        cellar = request_at_this_revision("Вода в ПОДВАЛЕ")
        db.session.remove()
        upgrade(revision="0007")
        row = db.session.execute(text("SELECT unread_messages, verdict, rating, confirmation_asked_at "
                                      "FROM requests WHERE id = :id"), {"id": cellar}).one()
        assert tuple(row) == (0, "", None, None)
        assert expected <= search_objects() and found("подвал") == [cellar]
        attic = request_at_this_revision("Течёт на чердаке")  # triggers see the new columns
        assert found("чердак") == [attic]
        db.session.remove()

        downgrade(revision="0006")
        with db.engine.connect() as conn:
            assert "unread_messages" not in {c["name"] for c in inspect(conn).get_columns("requests")}
            assert "request_messages" not in inspect(conn).get_table_names()
        assert expected <= search_objects() and found("чердак") == [attic]
        db.session.remove()
        db.engine.dispose()


def test_ratings_given_before_the_counters_existed_are_counted_by_their_migration(empty_database, tmp_path):
    """A request rated under 0007 goes through 0008 (which counts the other figures) and 0010 (which
    counts the ratings): the dashboard's counters of the ratings hold it once in each grain."""
    app = create_app(base_config(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision="0007")
        rated = request_at_this_revision("Течёт кран")
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE requests SET status = 'closed', rating = 4 WHERE id = :id"), {"id": rated})
        upgrade()
        category = db.session.execute(text("SELECT category_id FROM requests WHERE id = :id"), {"id": rated}).scalar()
        rows = db.session.execute(text(
            "SELECT grain, category_id, executor_id, rating, n FROM request_ratings ORDER BY grain, category_id")).all()
        assert sorted(map(tuple, rows)) == sorted(
            (grain, c, e, 4, 1) for grain in "dwm" for c, e in ((-1, 0), (category, 0), (category, -1)))
        db.session.remove()

        downgrade(revision="0009")
        with db.engine.connect() as conn:
            assert "request_ratings" not in inspect(conn).get_table_names()
        db.session.remove()
        db.engine.dispose()


def test_executors_in_telegram_migration_keeps_executors_and_goes_down_and_up(empty_database, tmp_path):
    app = create_app(base_config(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision="0010")
        with db.engine.begin() as conn:  # an executor from before Telegram
            conn.execute(text("INSERT INTO executors (full_name, position, phone, active) "
                              "VALUES ('Петров Пётр', 'Сантехник', '', true)"))
        upgrade(revision="0011")
        with db.engine.begin() as conn:
            row = conn.execute(text("SELECT full_name, telegram_user_id, telegram_name FROM executors")).one()
            assert tuple(row) == ("Петров Пётр", None, "")
            conn.execute(text("UPDATE executors SET telegram_user_id = 42, telegram_chat_id = 42"))
            with pytest.raises(Exception):  # one Telegram account serves one executor
                with conn.begin_nested():
                    conn.execute(text("INSERT INTO executors (full_name, position, phone, active, telegram_name, "
                                      "telegram_user_id) VALUES ('Второй', '', '', true, '', 42)"))
        downgrade(revision="0010")
        with db.engine.connect() as conn:
            inspector = inspect(conn)
            assert not {c["name"] for c in inspector.get_columns("executors")} & {"telegram_user_id", "telegram_name"}
            assert "executor_id" not in {c["name"] for c in inspector.get_columns("request_messages")}
            assert "executor_invitations" not in inspector.get_table_names()
            assert conn.execute(text("SELECT count(*) FROM executors")).scalar() == 1
        upgrade()

def phone_found(digits: str) -> list[int]:
    return db.session.execute(select(Request.id).where(text_contains(Request.contact_phone, digits))).scalars().all()


def journal_0012_state() -> dict:
    """What migration 0012 changes: the phone in the search index, the default order's index, and
    (PostgreSQL) autovacuum of `requests`."""
    with db.engine.connect() as conn:
        index = next(i["column_names"] for i in inspect(conn).get_indexes("requests")
                     if i["name"] == "ix_requests_created_at")
        if conn.dialect.name == "sqlite":
            phone = "contact_phone" in {row[1] for row in conn.execute(text("PRAGMA table_info(requests_search)"))}
            options = None
        else:
            phone = bool(conn.execute(text("SELECT 1 FROM pg_indexes WHERE indexname = "
                                           "'ix_requests_search_contact_phone'")).scalar())
            options = conn.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'requests'")).scalar()
    return {"index": index, "phone": phone, "options": sorted(options or [])}


def test_journal_migration_indexes_the_phone_and_goes_down_and_up(empty_database, tmp_path):
    """0012 remakes SQLite's search index with the phone (requests already filed are indexed), and
    goes back to the index of 0003; the text search keeps working both ways."""
    app = create_app(base_config(tmp_path, empty_database))
    sqlite = empty_database.startswith("sqlite")
    vacuum = [] if sqlite else ["autovacuum_analyze_scale_factor=0.01", "autovacuum_vacuum_insert_scale_factor=0.02",
                                "autovacuum_vacuum_scale_factor=0.02"]
    with app.app_context():
        upgrade(revision="0011")
        cellar = request_at_this_revision("Вода в ПОДВАЛЕ")
        db.session.execute(text("UPDATE requests SET contact_phone = '+79123456789' WHERE id = :id"), {"id": cellar})
        db.session.commit()
        db.session.remove()
        upgrade(revision="0012")
        assert journal_0012_state() == {"index": ["created_at", "id"], "phone": True, "options": vacuum}
        assert phone_found("912345") == [cellar] and found("подвал") == [cellar]
        attic = request_at_this_revision("Течёт на чердаке")  # the triggers index the phone too
        db.session.execute(text("UPDATE requests SET contact_phone = '+79001112233' WHERE id = :id"), {"id": attic})
        db.session.commit()
        assert phone_found("0011122") == [attic]
        db.session.remove()

        downgrade(revision="0011")
        assert journal_0012_state() == {"index": ["created_at"], "phone": False, "options": []}
        assert (found("подвал"), found("чердак")) == ([cellar], [attic])  # the index of 0003, rebuilt
        db.session.remove()

        upgrade()
        assert journal_0012_state() == {"index": ["created_at", "id"], "phone": True, "options": vacuum}
        assert (phone_found("912345"), phone_found("0011122"), found("чердак")) == ([cellar], [attic], [attic])
        db.session.remove()
        db.engine.dispose()


def test_duration_counters_are_recounted_to_the_documented_precision_and_back(empty_database, tmp_path):
    """0014 recounts request_durations: a job done in 3 min 50 s (written with plain SQL, so not counted
    yet) is counted under 4 minutes; going down recounts it under 0, the old rounding down to 5."""
    app = create_app(base_config(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision="0012")
        done = request_at_this_revision("Течёт кран")
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE requests SET status = 'done', created_at = :filed, done_at = :done "
                              "WHERE id = :id"),
                         {"id": done, "filed": datetime(2024, 3, 5, 9, 0), "done": datetime(2024, 3, 5, 9, 3, 50)})

        def minutes() -> set:
            return set(db.session.execute(text("SELECT grain, minutes, n FROM request_durations "
                                               "WHERE category_id = -1")).all())

        assert minutes() == set()
        db.session.remove()
        upgrade()
        assert minutes() == {(grain, 4, 1) for grain in "dwm"}
        db.session.remove()
        downgrade(revision="0012")
        assert minutes() == {(grain, 0, 1) for grain in "dwm"}
        db.session.remove()
        upgrade()
        assert minutes() == {(grain, 4, 1) for grain in "dwm"}
        db.session.remove()


def test_staff_message_form_key_migration_keeps_messages_and_goes_down_and_up(empty_database, tmp_path):
    """0013: messages written before it keep no key (any number of them); a key is unique per request."""
    app = create_app(base_config(tmp_path, empty_database))
    columns = "request_id, created_at, sender, kind, on_closed, text"
    values = ":request, :now, 'staff', 'message', false, :text"
    old_message = text(f"INSERT INTO request_messages ({columns}) VALUES ({values})")
    new_message = text(f"INSERT INTO request_messages ({columns}, form_key) VALUES ({values}, :key)")
    with app.app_context():
        upgrade(revision="0012")
        request_id = request_at_this_revision("Течёт кран")
        with db.engine.begin() as conn:
            for said in ("Первое", "Второе"):
                conn.execute(old_message, {"request": request_id, "now": utcnow(), "text": said})
        upgrade(revision="0013")
        with db.engine.begin() as conn:
            rows = conn.execute(text("SELECT text, form_key FROM request_messages ORDER BY id")).all()
            assert [tuple(row) for row in rows] == [("Первое", None), ("Второе", None)]
            third = {"request": request_id, "now": utcnow(), "text": "Третье", "key": "k1"}
            conn.execute(new_message, third)
            with pytest.raises(Exception):  # the same form posted again
                with conn.begin_nested():
                    conn.execute(new_message, third)
        downgrade(revision="0012")
        with db.engine.connect() as conn:
            assert "form_key" not in {c["name"] for c in inspect(conn).get_columns("request_messages")}
            assert conn.execute(text("SELECT count(*) FROM request_messages")).scalar() == 3
        upgrade()
        db.engine.dispose()


def test_consent_migration_keeps_residents_who_are_asked_at_their_next_message(empty_database, tmp_path):
    """0018: residents bound before it keep their pairs and requests, and have no answer yet, so the bot
    asks them (app.bot.consent); the consent tables go down and up."""
    from app.services.people import consent  # noqa: PLC0415 (the models are the newest: used after upgrade)
    app = create_app(base_config(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision="0017")
        request_id = request_at_this_revision("Течёт кран")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO clients (account, full_name, city, street, house, house_letter, apartment, "
                              "phone, contract_number, created_at, updated_at) VALUES ('100001', 'Иванов', '', '', "
                              "'', '', '', '', '', :now, :now)"), {"now": utcnow()})
            client_id = conn.execute(text("SELECT id FROM clients")).scalar()
            conn.execute(text("INSERT INTO telegram_bindings (client_id, telegram_user_id, chat_id, phone, created_at) "
                              "VALUES (:client, 777, 777, '+79123456789', :now)"), {"client": client_id, "now": utcnow()})
            conn.execute(text("UPDATE requests SET client_id = :client, author_telegram_id = 777, author_chat_id = 777"),
                         {"client": client_id})
        upgrade(revision="0018")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT telegram_user_id, phone FROM telegram_bindings")).one() == (777, "+79123456789")
            assert conn.execute(text("SELECT author_telegram_id FROM requests WHERE id = :id"),
                                {"id": request_id}).scalar() == 777
            assert conn.execute(text("SELECT count(*) FROM consent_records")).scalar() == 0
        assert not consent.has_consented(777)  # asked at the next message
        consent.record(777, consent.current_version(), consent.AGREED)
        db.session.commit()
        assert consent.has_consented(777)
        db.session.remove()
        downgrade(revision="0017")
        with db.engine.connect() as conn:
            assert not {"consent_versions", "consent_records"} & set(inspect(conn).get_table_names())
            assert conn.execute(text("SELECT count(*) FROM telegram_bindings")).scalar() == 1
        upgrade()


def test_meters_migration_goes_down_and_up(empty_database, tmp_path):
    app = create_app(base_config(tmp_path, empty_database))
    tables = {"meters", "meter_readings", "meter_reminder_opt_outs", "meter_reminder_runs"}
    with app.app_context():
        upgrade(revision="0020")
        assert tables <= set(inspect(db.engine).get_table_names())
        db.session.remove()
        downgrade(revision="0019")
        assert not tables & set(inspect(db.engine).get_table_names())
        upgrade(revision="0020")
        indexes = {i["name"]: i for i in inspect(db.engine).get_indexes("meter_readings")}
        assert indexes["uq_meter_readings_live"]["unique"]
        db.session.remove()


def test_meter_readings_previous_values_are_recounted_and_the_migration_goes_down_and_up(empty_database, tmp_path):
    """Readings whose stored previous values went stale (a past month changed before 0022) get the
    latest counted reading before them, or the meter's initial values; history rows stay as they were."""
    from datetime import date
    app = create_app(base_config(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision="0020")
        client = row_at_this_revision("clients", account="100001", full_name="Иванов")
        meter = row_at_this_revision("meters", client_id=client, resource="power2", serial="E-1",
                                     initial_date=date(2026, 1, 1), initial1=100, initial2=50, active=True)

        def given(month, v1, v2, prev, status="accepted", live=True):
            return row_at_this_revision("meter_readings", meter_id=meter, period=date(2026, month, 1), v1=v1,
                                        v2=v2, prev1=prev[0], prev2=prev[1], source="operator", status=status,
                                        live=live)
        ids = {"jan": given(1, 110, 60, (1, 1)), "feb": given(2, 118, 65, (105, 55)),
               "mar": given(3, 125, 70, (118, 65), status="rejected", live=False),
               "apr": given(4, 130, 72, (999, 999), status="suspicious"), "may": given(5, 0, 0, (7, 7), status="swap")}

        def previous() -> dict:
            with db.engine.connect() as conn:
                rows = conn.execute(text("SELECT id, prev1, prev2, prev3 FROM meter_readings")).all()
            by_id = {row[0]: tuple(row[1:]) for row in rows}
            return {name: by_id[i] for name, i in ids.items()}
        expected = {"jan": (100, 50, None), "feb": (110, 60, None), "mar": (118, 65, None), "apr": (118, 65, None),
                    "may": (130, 72, None)}
        db.session.remove()
        upgrade(revision="0022")
        assert previous() == expected
        db.session.remove()
        downgrade(revision="0020")
        assert previous() == expected
        upgrade(revision="0022")
        assert previous() == expected
        db.session.remove()
        db.engine.dispose()


def test_incidents_migration_keeps_requests_and_their_search_index_and_goes_down_and_up(empty_database, tmp_path):
    """0019: requests filed before it belong to no incident; going down drops the incidents and the column
    (the search index and its triggers stay: SQLite adds the column in place)."""
    app = create_app(base_config(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision="0017")
        request_id = request_at_this_revision("Нет воды в подвале")
        upgrade(revision="0019")
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT incident_id FROM requests WHERE id = :id"), {"id": request_id}).one() \
                == (None,)
            assert {"incidents", "incident_addresses", "incident_events"} <= set(inspect(conn).get_table_names())
        assert found("подвале") == [request_id]
        assert (SQLITE_SEARCH if db.engine.dialect.name == "sqlite" else POSTGRES_SEARCH) <= search_objects()
        db.session.remove()  # its read of `requests` would hold the DROP INDEX below (PostgreSQL)
        downgrade(revision="0017")
        with db.engine.connect() as conn:
            inspector = inspect(conn)
            assert "incident_id" not in {c["name"] for c in inspector.get_columns("requests")}
            assert not {"incidents", "incident_addresses", "incident_events"} & set(inspector.get_table_names())
        assert found("подвале") == [request_id]
        assert (SQLITE_SEARCH if db.engine.dialect.name == "sqlite" else POSTGRES_SEARCH) <= search_objects()
        db.session.remove()
        upgrade()
        db.engine.dispose()


def test_incident_entrances_migration_keeps_the_houses_and_goes_down_and_up(empty_database, tmp_path):
    """0021: a house noted before it has no entrances; going down drops the note and keeps the house."""
    app = create_app(base_config(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision="0020")
        category = db.session.execute(text("SELECT id FROM categories")).scalar() \
            or row_at_this_revision("categories", name="Лифт")
        incident = row_at_this_revision("incidents", number=1, category_id=category, status="open")
        house = row_at_this_revision("incident_addresses", incident_id=incident, city="Самара",
                                     street="ул. Ленина", house="24", house_letter="")
        upgrade(revision="0021")
        select_house = text("SELECT street, entrances FROM incident_addresses WHERE id = :id")
        with db.engine.begin() as conn:
            assert conn.execute(select_house, {"id": house}).one() == ("ул. Ленина", "")
            conn.execute(text("UPDATE incident_addresses SET entrances = '1–3' WHERE id = :id"), {"id": house})
        db.session.remove()
        downgrade(revision="0020")
        with db.engine.connect() as conn:
            assert "entrances" not in {c["name"] for c in inspect(conn).get_columns("incident_addresses")}
            assert conn.execute(text("SELECT street FROM incident_addresses WHERE id = :id"),
                                {"id": house}).scalar() == "ул. Ленина"
        upgrade(revision="0021")
        with db.engine.connect() as conn:
            assert conn.execute(select_house, {"id": house}).one() == ("ул. Ленина", "")
        db.session.remove()
        db.engine.dispose()


def row_at_this_revision(table_name: str, **values) -> int:
    """A row of `table_name` as the schema is at the database's revision; NOT NULL columns the test
    does not care about get a plain value of their type."""
    tables = MetaData()
    with db.engine.begin() as conn:
        tables.reflect(conn, only=[table_name])
        table = tables.tables[table_name]
        for column in table.columns:
            if not (column.name in values or column.nullable or column.primary_key or column.server_default):
                kind = column.type.python_type
                values[column.name] = utcnow() if kind is datetime else kind(True if kind is bool else 0)
        return conn.execute(table.insert().values(**values)).inserted_primary_key[0]


def files_named() -> dict[str, list[str]]:
    with db.engine.connect() as conn:
        return {table: sorted(conn.execute(text(f"SELECT {column} FROM {table} WHERE {column} <> ''")).scalars())
                for table, column in (("request_photos", "file_path"), ("notifications", "photo"),
                                      ("announcements", "photo"))}


@pytest.fixture
def files_before_0015(empty_database, tmp_path):
    """A database at 0014 whose rows name files under STORAGE_DIR: a 2.5 MB photo (three chunks), a
    staff photo named by its message's photo row and its outbox row, a notice's photo, a photo
    whose file is gone, and a resident's photo passed on by its Telegram file id."""
    app = create_app(base_config(tmp_path, empty_database))
    storage_dir = Path(app.config["STORAGE_DIR"])
    big = os.urandom(2_500_000)
    files = {"photos/1/1.jpg": big, "messages/1/7.png": png(), "announcements/n.png": png(5, 3)}
    for name, content in files.items():
        (storage_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (storage_dir / name).write_bytes(content)
    with app.app_context():
        upgrade(revision="0014")
        request_id = request_at_this_revision("Течёт кран")
        for name in ("photos/1/1.jpg", "messages/1/7.png", "photos/1/2.jpg"):
            row_at_this_revision("request_photos", request_id=request_id, file_path=name, telegram_file_id="")
        for photo in ("messages/1/7.png", "telegram:AgAD", "announcements/n.png"):
            row_at_this_revision("notifications", chat_id=5, text="", photo=photo, status="pending")
        row_at_this_revision("announcements", text="Отключение воды", photo="announcements/n.png")
        db.session.remove()
    yield app, storage_dir, files
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_files_migration_moves_the_named_files_in_compared_and_keeps_them_on_disk(files_before_0015, capsys):
    app, storage_dir, files = files_before_0015
    with app.app_context():
        upgrade(revision="0015")
        assert "Files moved into the database, each compared with its file: 3" in capsys.readouterr().out
        named = files_named()
        moved = {ref for refs in named.values() for ref in refs if ref.startswith("db:")}
        assert sorted(storage.read(ref) for ref in moved) == sorted(files.values())  # each file once
        assert all(storage.info(ref).size == len(storage.read(ref)) for ref in moved)
        assert "photos/1/2.jpg" in named["request_photos"]  # its file is gone: the row is as it was
        assert "telegram:AgAD" in named["notifications"]  # Telegram's, not ours
        staff_photo = next(ref for ref in moved if storage.read(ref) == files["messages/1/7.png"])
        assert staff_photo in named["request_photos"] and staff_photo in named["notifications"]
        assert named["announcements"][0] in named["notifications"]
        assert storage.info(staff_photo).content_type == "image/png"
        with db.engine.connect() as conn:  # 2.5 MB in 1 MB chunks
            assert conn.execute(text("SELECT count(*) FROM stored_file_chunks")).scalar() == 3 + 1 + 1
        assert {n: (storage_dir / n).read_bytes() for n in files} == files  # nothing deleted from the disk
        db.session.remove()

        downgrade(revision="0014")  # written back under STORAGE_DIR, the rows renamed
        back = files_named()
        assert "photos/1/2.jpg" in back["request_photos"] and "telegram:AgAD" in back["notifications"]
        written = {ref for refs in back.values() for ref in refs if ref.startswith("files/")}
        assert sorted((storage_dir / ref).read_bytes() for ref in written) == sorted(files.values())
        with db.engine.connect() as conn:
            assert "stored_files" not in inspect(conn).get_table_names()
        upgrade()
        again = {ref for refs in files_named().values() for ref in refs if ref.startswith("db:")}
        assert sorted(storage.read(ref) for ref in again) == sorted(files.values())
        db.session.remove()


def test_files_no_row_names_are_listed_by_the_migration_not_moved_and_not_deleted(files_before_0015, capsys):
    """Left by a crash (a photo whose row never committed, a half-written `.part-` file): the migration
    lists them, count and paths, moves only what rows name and deletes nothing."""
    app, storage_dir, files = files_before_0015
    leftovers = {"photos/9/1.jpg": b"\xff\xd8\xff orphan", "photos/1/.part-x1y2": b"\x89PNG half"}
    for name, content in leftovers.items():
        (storage_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (storage_dir / name).write_bytes(content)
    with app.app_context():
        upgrade(revision="0015")
        out = capsys.readouterr().out
        assert "Files moved into the database, each compared with its file: 3" in out
        assert "that no row names (2), not moved and not deleted" in out
        assert "  photos/1/.part-x1y2\n  photos/9/1.jpg" in out
        assert not any(name in out for name in files)  # the named ones are not listed
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM stored_files")).scalar() == 3
        assert {n: (storage_dir / n).read_bytes() for n in {**files, **leftovers}} == {**files, **leftovers}
        db.session.remove()


def test_files_migration_stops_when_a_copy_differs_and_renames_nothing(files_before_0015, monkeypatch):
    app, storage_dir, files = files_before_0015
    real = storage.pieces

    def damaged(conn, file_id):  # as if the database kept other bytes than those written
        for chunk in real(conn, file_id):
            yield chunk[:-1]

    monkeypatch.setattr(storage, "pieces", damaged)
    with app.app_context():
        before = files_named()
        with pytest.raises(SystemExit):  # flask_migrate logs the migration's error and exits
            upgrade(revision="0015")
        db.session.remove()
        db.engine.dispose()
        assert files_named() == before
        assert {n: (storage_dir / n).read_bytes() for n in files} == files
        monkeypatch.setattr(storage, "pieces", real)  # once the database keeps the bytes, it goes on
        upgrade(revision="0015")
        assert sorted(storage.read(ref) for ref in {ref for refs in files_named().values() for ref in refs
                                                    if ref.startswith("db:")}) == sorted(files.values())
        db.session.remove()


def test_with_the_directory_store_the_files_stay_where_they_are(files_before_0015):
    app, storage_dir, files = files_before_0015
    app.config["FILE_STORE"] = "directory"
    with app.app_context():
        before = files_named()
        upgrade(revision="0015")
        assert files_named() == before
        assert storage.read("photos/1/1.jpg") == files["photos/1/1.jpg"]
        db.session.remove()
