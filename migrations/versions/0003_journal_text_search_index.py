"""journal: trigram index for the text "contains" filters

The journal's text filters (client, city, street, description) are substring
searches: without an index every keystroke scans all requests (~1.2 s on
1 000 000 on SQLite, bench/journal.py).

SQLite: an FTS5 table with the trigram tokenizer over those columns, an
"external content" table (it stores only the index; the text stays in
`requests`), kept in step by triggers. app/search.py queries it.
FTS5's trigram tokenizer folds case for Cyrillic as well as Latin.
A later migration that rebuilds `requests` in batch mode (copy, drop, rename)
drops these triggers with the old table: it must create them again and
'rebuild' the index (tests/test_migrations.py checks they exist at head).

PostgreSQL: pg_trgm GIN indexes on lower(column), which serve the query the
app already runs, lower(col) LIKE '%term%'. Where the extension cannot be
created (no privilege, not installed) the migration logs a warning and
creates no index: search works as before, by a scan.

Revision ID: 0003
Revises: 0002
"""
import logging
import sqlite3

from alembic import op
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

TABLE = "requests_search"
COLUMNS = ("client_full_name", "city", "street", "description")
TRIGGERS = ("requests_search_insert", "requests_search_update", "requests_search_delete")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgresql_upgrade()


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for trigger in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute(f"DROP TABLE IF EXISTS {TABLE}")
    else:
        # pg_trgm stays: it may have been there before, and other objects may use it.
        for column in COLUMNS:
            op.execute(f"DROP INDEX IF EXISTS ix_{TABLE}_{column}")


def _sqlite_upgrade():
    if sqlite3.sqlite_version_info < (3, 34):
        raise RuntimeError(f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer: 3.34 or newer is needed")
    columns = ", ".join(COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    op.execute(f"CREATE VIRTUAL TABLE {TABLE} USING fts5({columns}, content='requests', content_rowid='id', "
               "tokenize='trigram case_sensitive 0')")
    # The standard external-content triggers: an index entry is removed with the values it was made from.
    op.execute(f"CREATE TRIGGER requests_search_insert AFTER INSERT ON requests BEGIN "
               f"INSERT INTO {TABLE}(rowid, {columns}) VALUES (new.id, {new}); END")
    # Only when an indexed column changes: status moves and assignments do not touch the index.
    op.execute(f"CREATE TRIGGER requests_search_update AFTER UPDATE OF id, {columns} ON requests BEGIN "
               f"INSERT INTO {TABLE}({TABLE}, rowid, {columns}) VALUES ('delete', old.id, {old}); "
               f"INSERT INTO {TABLE}(rowid, {columns}) VALUES (new.id, {new}); END")
    op.execute(f"CREATE TRIGGER requests_search_delete AFTER DELETE ON requests BEGIN "
               f"INSERT INTO {TABLE}({TABLE}, rowid, {columns}) VALUES ('delete', old.id, {old}); END")
    op.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')")  # the requests already there


def _postgresql_upgrade():
    bind = op.get_bind()
    installed = bind.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar()
    if not installed:
        try:
            with bind.begin_nested():  # a savepoint: a refusal must not abort the migration's transaction
                bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        except DBAPIError as error:
            log.warning("pg_trgm could not be created (%s); the journal's text filters stay unindexed. "
                        "A superuser can run CREATE EXTENSION pg_trgm and then `flask db downgrade 0002` "
                        "and `flask db upgrade` to add the indexes.", str(error.orig).strip())
            return
    for column in COLUMNS:
        op.execute(f"CREATE INDEX ix_{TABLE}_{column} ON requests USING gin (lower({column}) gin_trgm_ops)")
