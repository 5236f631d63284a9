"""Per-connection database settings.

SQLite is shared by the web process and the bot worker, so every connection
gets WAL (readers never block the writer) and a busy timeout (a writer waits
for the other instead of failing with "database is locked"). SQLite's own
LOWER() folds ASCII only; we replace it with Python's str.lower so that
case-insensitive search works for Cyrillic exactly as on PostgreSQL.
"""
import contextlib

from sqlalchemy import Integer, event, func, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.functions import FunctionElement

from app.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 15000


def _py_lower(value):
    return value.lower() if isinstance(value, str) else value


def configure_engine(engine: Engine, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_on_connect(dbapi_conn, _record):
        dbapi_conn.create_function("lower", 1, _py_lower, deterministic=True)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()


def contains_ci(column, term: str):
    """Case-insensitive substring match, literal % and _, on SQLite and PostgreSQL alike.

    A term without letters has no case to fold, so lower() is not called on every row.
    """
    if term.lower() == term.upper():
        return column.contains(term, autoescape=True)
    return func.lower(column).contains(term.lower(), autoescape=True)


def locked(model, row_id: int):
    """The row (or None), held until the transaction ends, so changes to it from the web app and
    the bot worker apply one after the other instead of one overwriting the other.

    PostgreSQL: SELECT ... FOR UPDATE. SQLite ignores FOR UPDATE, so a no-op write first takes the
    database's write lock; the read after it then sees the latest committed row, and nobody can
    change it before our commit. The row is read afresh even if the session holds it already.
    The no-op write sets the model's `lock_column` (outside every index and trigger) to itself:
    setting `id` would make SQLite move the row in every index and fire the search triggers.
    """
    table = model.__table__
    if db.engine.dialect.name == "sqlite":
        column = table.c[model.lock_column]
        db.session.execute(update(table).where(table.c.id == row_id).values({column: column}))
    stmt = select(model).where(table.c.id == row_id).with_for_update().execution_options(populate_existing=True)
    return db.session.execute(stmt).scalar_one_or_none()


def locked_many(model, row_ids) -> dict:
    """The rows (by id) that exist of `row_ids`, each held as locked() holds one, taken in id order in one
    statement (an incident's link of thousands of requests: one round trip instead of one each)."""
    table, row_ids = model.__table__, sorted(set(row_ids))
    if not row_ids:
        return {}
    if db.engine.dialect.name == "sqlite":
        column = table.c[model.lock_column]
        db.session.execute(update(table).where(table.c.id.in_(row_ids)).values({column: column}))
    stmt = select(model).where(table.c.id.in_(row_ids)).order_by(table.c.id).with_for_update() \
        .execution_options(populate_existing=True)
    return {row.id: row for row in db.session.execute(stmt).scalars()}


class seconds_between(FunctionElement):
    """Whole seconds from `earlier` to `later` (two UTC datetime columns or parameters), negative
    when `later` is earlier; the SQL differs between the engines."""

    type = Integer()
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(CAST(strftime('%s', {later}) AS INTEGER) - CAST(strftime('%s', {earlier}) AS INTEGER))"


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element, compiler, **kw):
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({later}) - ({earlier})) AS INTEGER)"


class _Explain(Executable, ClauseElement):
    """EXPLAIN (FORMAT JSON) of a statement, with its parameters bound as the statement's own."""

    inherit_cache = False  # compiled each time (~0.5 ms): a cached result would need selected columns

    def __init__(self, statement):
        self.statement = statement


@compiles(_Explain, "postgresql")
def _explain_postgresql(element, compiler, **kw):
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def planner_estimate(statement) -> tuple[float, int]:
    """PostgreSQL's estimate for a SELECT, without running it: (total cost, rows). Planning only,
    well under a millisecond; the rows are as good as the statistics (VACUUM ANALYZE)."""
    plan = db.session.execute(_Explain(statement)).scalar_one()[0]["Plan"]
    return plan["Total Cost"], int(plan["Plan Rows"])


@contextlib.contextmanager
def planner_setting(name: str, value: str):
    """A PostgreSQL planner setting for the statements run inside, in this transaction only."""
    db.session.execute(text(f"SET LOCAL {name} = {value}"))
    try:
        yield
    finally:
        db.session.execute(text(f"SET LOCAL {name} TO DEFAULT"))
