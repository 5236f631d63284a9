"""journal at a million requests: phone search indexed, deep pages from the index, autovacuum

- The phone filter («цифры» anywhere in the number) scanned every request: 0.2 s on
  1 000 000 on either engine (bench/journal.py). The contact phone joins the text search
  index: SQLite's FTS5 table `requests_search` is made again with the column (its
  triggers too) and rebuilt; PostgreSQL gets one more pg_trgm index, on lower(contact_phone)
  like its siblings of migration 0003 (the digits have no case: lower() keeps one rule for
  every indexed column in app/search.py).
- ix_requests_created_at becomes (created_at, id): the journal's default order, tie-break
  included, so a deep page finds its ids from the index alone (an index-only scan on
  PostgreSQL; SQLite's index already held the rowid) and reads only its own rows.
- PostgreSQL: autovacuum of `requests` after 2 % of its rows changed or were inserted rather
  than the default 20 %, and analyze after 1 %: the journal's counts are index-only scans,
  which read the table itself for every page the visibility map does not mark all-visible
  (docs/operations.md).

Rebuilding the SQLite search index takes about 40 s per million requests.

Revision ID: 0012
Revises: 0011
"""
import logging

from alembic import op
from sqlalchemy import text

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

TABLE = "requests_search"
BEFORE = ("client_full_name", "city", "street", "description")
AFTER = (*BEFORE, "contact_phone")
PHONE_INDEX = f"ix_{TABLE}_contact_phone"
AUTOVACUUM = {"autovacuum_vacuum_scale_factor": "0.02", "autovacuum_vacuum_insert_scale_factor": "0.02",
              "autovacuum_analyze_scale_factor": "0.01"}


def upgrade():
    _created_at_index(["created_at", "id"])
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_search(AFTER)
        return
    if _has_pg_trgm():
        op.execute(f"CREATE INDEX {PHONE_INDEX} ON requests USING gin (lower(contact_phone) gin_trgm_ops)")
    else:  # migration 0003 said why and what to do
        log.warning("pg_trgm is not installed: the phone filter stays unindexed.")
    op.execute(f"ALTER TABLE requests SET ({', '.join(f'{k} = {v}' for k, v in AUTOVACUUM.items())})")


def downgrade():
    _created_at_index(["created_at"])
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_search(BEFORE)
        return
    op.execute(f"DROP INDEX IF EXISTS {PHONE_INDEX}")
    op.execute(f"ALTER TABLE requests RESET ({', '.join(AUTOVACUUM)})")


def _created_at_index(columns: list[str]) -> None:
    op.drop_index("ix_requests_created_at", table_name="requests")
    op.create_index("ix_requests_created_at", "requests", columns, unique=False)


def _has_pg_trgm() -> bool:
    return bool(op.get_bind().execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar())


def _sqlite_search(columns: tuple[str, ...]) -> None:
    """The FTS5 table and its triggers of migration 0003, over `columns`, filled from the requests."""
    for trigger in ("requests_search_insert", "requests_search_update", "requests_search_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute(f"DROP TABLE IF EXISTS {TABLE}")
    names = ", ".join(columns)
    old = ", ".join(f"old.{c}" for c in columns)
    new = ", ".join(f"new.{c}" for c in columns)
    op.execute(f"CREATE VIRTUAL TABLE {TABLE} USING fts5({names}, content='requests', content_rowid='id', "
               "tokenize='trigram case_sensitive 0')")
    op.execute(f"CREATE TRIGGER requests_search_insert AFTER INSERT ON requests BEGIN "
               f"INSERT INTO {TABLE}(rowid, {names}) VALUES (new.id, {new}); END")
    op.execute(f"CREATE TRIGGER requests_search_update AFTER UPDATE OF id, {names} ON requests BEGIN "
               f"INSERT INTO {TABLE}({TABLE}, rowid, {names}) VALUES ('delete', old.id, {old}); "
               f"INSERT INTO {TABLE}(rowid, {names}) VALUES (new.id, {new}); END")
    op.execute(f"CREATE TRIGGER requests_search_delete AFTER DELETE ON requests BEGIN "
               f"INSERT INTO {TABLE}({TABLE}, rowid, {names}) VALUES ('delete', old.id, {old}); END")
    op.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')")
