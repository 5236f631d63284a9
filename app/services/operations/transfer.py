"""`flask transfer-db`: copy the whole database into an empty PostgreSQL database.

For a company that outgrows SQLite (PostgreSQL to PostgreSQL works too). Generic
over the models' metadata: a new table or column is copied without edits here.

- The source must stand at the migrations' head: the models describe that schema.
- The target is built by the real migrations (pg_trgm search indexes included) in
  the same transaction as the copy. PostgreSQL's DDL is transactional, so a failure
  anywhere (or a killed process) leaves the target as it was: run the command again.
- A target is empty when it holds no tables at all, or stands at the source's
  revision with no rows beyond those the migrations themselves write (the request
  counter); those are replaced by the source's. Anything else is refused.
- Tables go in dependency order, rows by COPY in batches of BATCH (memory stays flat),
  all read from one snapshot of the source, so the row counts compared at the end
  must match exactly; if one does not, nothing is committed. Plain indexes and
  foreign keys are built after the load, as PostgreSQL advises for bulk loads.
- Not copied: alembic_version (the migrations set it) and SQLite's FTS5 search index
  (app/search.py): PostgreSQL has its own trigram indexes.
- After the commit, VACUUM ANALYZE of the copied tables: statistics for the planner, and
  the visibility map that the journal's index-only counts need.
- Sequences are set past the largest copied id; counters (request numbers) are data.
"""
import contextlib
from typing import Callable

from alembic import command
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import Connection, Table, create_engine, func, inspect, make_url, select, text
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

from app.config import normalise_database_url
from app.extensions import db
from app.search import SEARCH_TABLE
from app.services.operations.counts import TableCount, count, differing

BATCH = 5000
VERSION_TABLE = "alembic_version"


class TransferError(Exception):
    """The transfer is refused or failed; nothing was written to the target."""


class CountMismatch(TransferError):
    def __init__(self, counts: list[TableCount]):
        super().__init__(f"row counts differ in {differing(counts)}; the copy was rolled back")
        self.counts = counts


def transfer(target_url: str, progress, echo: Callable[[str], None]) -> list[TableCount]:
    """Copy the app's database (DATABASE_URL) into the PostgreSQL database at target_url.

    progress(label, length) returns a context manager with update(n): click.progressbar.
    Returns the rows per table in source and target (equal, or CountMismatch is raised).
    """
    tables = db.metadata.sorted_tables
    target_engine = _target_engine(target_url)
    try:
        with db.engine.connect() as source, target_engine.connect() as target:
            _begin_snapshot(source)
            head = _head()
            _check_source(source, head)
            echo(f"Source: {_shown(db.engine.url)} at revision {head}.")
            source_counts = {t.name: count(source, t) for t in tables}
            with target.begin():  # everything below commits together or not at all
                _prepare_target(target, tables, head, echo)
                with _built_after_load(target, echo):
                    for table in tables:
                        _copy(source, target, table, source_counts[table.name], progress)
                _reset_sequences(target, tables)
                counts = [TableCount(t.name, source_counts[t.name], count(target, t)) for t in tables]
                if any(c.differs for c in counts):
                    raise CountMismatch(counts)
            _vacuum_analyze(target, tables, echo)
    except DBAPIError as error:
        raise TransferError(str(error.orig).strip()) from None
    finally:
        target_engine.dispose()
    return counts


def _target_engine(target_url: str):
    try:
        url = make_url(normalise_database_url(target_url.strip()))
    except ArgumentError:
        raise TransferError("not a database URL; expected postgresql://user:password@host:5432/name") from None
    if url.get_backend_name() != "postgresql":
        raise TransferError(f"the target must be a PostgreSQL database, not {url.get_backend_name()}")
    try:
        engine = create_engine(url, poolclass=NullPool)
        engine.connect().close()
    except ArgumentError as error:
        raise TransferError(f"not a usable database URL: {error}") from None
    except DBAPIError as error:
        raise TransferError(f"cannot connect to {_shown(url)}: {str(error.orig).strip()}") from None
    return engine


def _shown(url) -> str:
    return url.render_as_string(hide_password=True)


def _head() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _alembic_config():
    return current_app.extensions["migrate"].migrate.get_config()


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _migrate(conn: Connection, revision: str) -> None:
    """The real migrations, inside conn's transaction (migrations/env.py takes the connection)."""
    config = _alembic_config()
    config.attributes["connection"] = conn
    command.upgrade(config, revision)


def _is_data(name: str) -> bool:
    return name != VERSION_TABLE and not name.startswith(SEARCH_TABLE)


def _check_source(source: Connection, head: str) -> None:
    revision = _revision(source)
    if revision != head:
        raise TransferError(f"the current database is at revision {revision or 'none'}, the code at {head}: "
                            "run `flask db upgrade` first")
    unknown = sorted(name for name in inspect(source).get_table_names()
                     if _is_data(name) and name not in db.metadata.tables)
    if unknown:
        raise TransferError(f"the current database has tables the models do not describe: {', '.join(unknown)}")


def _begin_snapshot(source: Connection) -> None:
    """Read every table as of one moment, even if the web app or the bot still write (before any read)."""
    if source.dialect.name == "sqlite":
        source.exec_driver_sql("BEGIN")  # the driver itself would begin only before a write
    else:
        source.execution_options(isolation_level="REPEATABLE READ")


def _prepare_target(target: Connection, tables: list[Table], head: str, echo) -> None:
    """Bring an empty target to `head`, or refuse one that is not empty."""
    revision = _revision(target)
    if revision is None:
        existing = inspect(target).get_table_names()
        if existing:
            raise TransferError(f"the target is not empty: it holds tables ({', '.join(sorted(existing))}) "
                                "but no migration revision")
        echo(f"Target: {_shown(target.engine.url)}: migrating to {head}.")
        _migrate(target, head)
    elif revision != head:
        raise TransferError(f"the target stands at revision {revision}, the source at {head}; "
                            "use a new, empty database")
    else:
        echo(f"Target: {_shown(target.engine.url)}, already at {head}.")
    seeded = _rows_written_by_migrations(head)
    holding = [t.name for t in tables if count(target, t) > seeded.get(t.name, 0)]
    if holding:
        raise TransferError(f"the target already holds data (in {', '.join(holding)}); "
                            "transfer-db only fills an empty database")
    for table in reversed(tables):
        if seeded.get(table.name):
            target.execute(table.delete())  # the source has its own


def _rows_written_by_migrations(revision: str) -> dict[str, int]:
    """Rows per table in a freshly migrated database, counted in a scratch in-memory SQLite one."""
    engine = create_engine("sqlite://")
    try:
        with engine.connect() as scratch, scratch.begin():
            _migrate(scratch, revision)
            return {t.name: count(scratch, t) for t in db.metadata.sorted_tables}
    finally:
        engine.dispose()


def _copy(source: Connection, target: Connection, table: Table, total: int, progress) -> None:
    """PostgreSQL's COPY, several times faster than INSERTs; values pass the models' types as INSERTs would."""
    preparer, dialect = target.dialect.identifier_preparer, target.dialect
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in table.columns]
    statement = (f"COPY {preparer.format_table(table)} "
                 f"({', '.join(preparer.format_column(column) for column in table.columns)}) FROM STDIN")
    rows = source.execute(select(table).order_by(*table.primary_key.columns).execution_options(yield_per=BATCH))
    try:
        with progress(table.name, total) as bar, target.connection.dbapi_connection.cursor() as cursor, \
                cursor.copy(statement) as copy:
            for batch in rows.partitions():
                for row in batch:
                    copy.write_row([process(value) if process else value for process, value in zip(processors, row)])
                bar.update(len(batch))
    except dialect.loaded_dbapi.Error as error:
        raise TransferError(f"{table.name}: {str(error).strip()}") from None


# Built after the load: foreign keys, and plain indexes (primary keys and unique ones stay).
_FOREIGN_KEYS = text("""
    SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
    FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
    WHERE n.nspname = current_schema() AND c.contype = 'f'
""")
_PLAIN_INDEXES = text("""
    SELECT i.relname, pg_get_indexdef(i.oid)
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_namespace n ON n.oid = i.relnamespace
    WHERE n.nspname = current_schema() AND NOT (x.indisunique OR x.indisprimary OR x.indisexclusion)
""")


@contextlib.contextmanager
def _built_after_load(target: Connection, echo):
    """Load first, then index and check (PostgreSQL's advice for bulk loads): building an index once
    is far faster than keeping it up to date row by row (trigram GIN above all), and a foreign key
    added back checks the whole table in one pass. Primary and unique keys stay: duplicates fail at once."""
    quote = target.dialect.identifier_preparer.quote
    keys, indexes = target.execute(_FOREIGN_KEYS).all(), target.execute(_PLAIN_INDEXES).all()
    for table, name, _ in keys:
        target.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}"))
    for name, _ in indexes:
        target.execute(text(f"DROP INDEX {quote(name)}"))
    yield
    echo(f"Building {len(indexes)} indexes, checking {len(keys)} foreign keys.")
    target.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))  # the trigram indexes build twice as fast
    for _, definition in indexes:
        target.execute(text(definition))
    for table, name, definition in keys:
        target.execute(text(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}"))


def _reset_sequences(target: Connection, tables: list[Table]) -> None:
    """Each id sequence continues after the largest copied id (the copy sets ids explicitly)."""
    preparer = target.dialect.identifier_preparer
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = func.pg_get_serial_sequence(preparer.format_table(table), column.name)
        following = select(func.coalesce(func.max(column), 0) + 1).scalar_subquery()
        target.execute(select(func.setval(sequence, following, False)))


def _vacuum_analyze(target: Connection, tables: list[Table], echo) -> None:
    """VACUUM ANALYZE of the copied tables, after the commit (VACUUM cannot run in a transaction).

    ANALYZE gives the planner the new sizes and values (search indexes included). VACUUM sets the
    visibility map: until then an index-only scan, such as the journal's counts, still reads the
    table for every row, and a freshly loaded million requests count 4-8x slower (issue 13).
    Autovacuum would get there in its own time; the first users should not wait for it."""
    echo("VACUUM ANALYZE of the new database.")
    names = ", ".join(target.dialect.identifier_preparer.format_table(t) for t in tables)
    target.execution_options(isolation_level="AUTOCOMMIT").execute(text(f"VACUUM (ANALYZE) {names}"))
