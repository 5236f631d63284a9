"""«Сводка» and the journal's deadline filter on the million-request bench database.

    .venv/bin/python bench/dashboard.py                       # SQLite: bench/out/journal.db
    .venv/bin/python bench/dashboard.py --backend postgresql  # the same data copied into PostgreSQL
    .venv/bin/python bench/dashboard.py --backend both --pg-url postgresql://root@127.0.0.1:5432/test

Uses the database bench/journal.py seeds (seeding it with that code when it is missing: 1 000 000
requests over three years up to 1 June 2025, with the categories and norms of `flask seed-demo`).
Its requests were bulk-inserted without deadlines, so the first run gives each the deadlines of
its category's norms, met or missed by its status times through app.services.requests.deadlines, and counts
the dashboard's counters with request_stats.rebuild (what migration 0008 runs); later runs find
them there. PostgreSQL: a private database on --pg-url / TEST_DATABASE_URL, migrated, the tables
copied in from the SQLite file (COPY), dropped afterwards.

Prints the median time, through the Flask test client (signed in, as the page asks), of
- the dashboard's figures (/dashboard/data) for the last 90 days and the last year of the data,
  every category and the busiest one; beside figures.compute alone;
- the journal page filtered «Просрочка: просроченные», newest first and nearest deadline first.
Targets (issue 10): the dashboard <= 300 ms for 90 days and a year on SQLite; the journal page with
the overdue filter <= 50 ms.
"""
import argparse
import contextlib
import os
import sqlite3
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import journal as journal_bench  # noqa: E402  (bench/journal.py: the seeding and the timing)
from sqlalchemy import bindparam, create_engine, func, make_url, select, text, update  # noqa: E402

from app.config import normalise_database_url  # noqa: E402
from devtools.databases import private_postgres_database  # noqa: E402
from devtools.staff_session import signed_in  # noqa: E402

LAST_DAY = journal_bench.NOW.date()  # the data ends on 1 June 2025
PERIODS = [("90 days", LAST_DAY - timedelta(days=89)), ("1 year", LAST_DAY - timedelta(days=364))]
CHUNK = 20_000
# Copied to PostgreSQL, parents first (the FTS5 search table is SQLite's own).
TABLES = ["staff_users", "clients", "categories", "subcategories", "executors", "counters", "requests",
          "request_counts", "request_durations", "request_addresses", "request_ratings"]


def app_for(url: str, instance: Path):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url), "SECRET_KEY": "bench",
                       "INSTANCE_PATH": str(instance), "STORAGE_DIR": str(instance / "storage")})


# --- the deadlines the bulk-inserted requests would have had ----------------------------------

def prepare(app) -> None:
    """Deadlines, residents' ratings (of four closed requests in five) and counters for requests
    inserted without them (once: every category has norms)."""
    from app.extensions import db
    from app.models import Category, Request, Subcategory
    from app.services.requests import deadlines
    from app.services.statistics import request_stats
    from app.services.requests.statuses import Status

    with app.app_context():
        if db.session.execute(select(Request.id).where(Request.completion_due_at.is_not(None)).limit(1)).first():
            return
        started = time.perf_counter()
        categories = {c.id: c for c in db.session.execute(select(Category)).scalars()}
        norms = {(c.id, None): deadlines.norm_of(c) for c in categories.values()}
        norms.update({(s.category_id, s.id): deadlines.norm_of(categories[s.category_id], s)
                      for s in db.session.execute(select(Subcategory)).scalars()})
        moves = [(Status.ASSIGNED, "assigned_at"), (Status.IN_PROGRESS, "in_progress_at"), (Status.DONE, "done_at"),
                 (Status.CLOSED, "closed_at"), (Status.ARCHIVED, "archived_at")]
        table = Request.__table__
        fields = ["emergency", "reaction_due_at", "completion_due_at", "reacted_at", "completed_at", "due_at",
                  "late_minutes", "rating"]
        stars = (5, 4, 5, 3, 5, 4, 1, 5, 2, 4)
        statement = update(table).where(table.c.id == bindparam("row_id")).values(
            {name: bindparam(name) for name in fields})
        rows = db.session.execute(select(table.c.id, table.c.created_at, table.c.category_id, table.c.subcategory_id,
                                         *(table.c[stamp] for _, stamp in moves))
                                  .execution_options(yield_per=CHUNK))
        batch, count = [], 0
        for row in rows:
            request = SimpleNamespace(created_at=row.created_at, reacted_at=None, completed_at=None, rating=None)
            if row.closed_at is not None and row.id % 5:
                request.rating = stars[row.id % len(stars)]
            deadlines.apply_norm(request, norms[(row.category_id, row.subcategory_id)])
            for status, stamp in moves:  # the bench's requests moved along this path, in this order
                if getattr(row, stamp) is not None:
                    deadlines.record_move(request, status, getattr(row, stamp))
            batch.append({"row_id": row.id, **{name: getattr(request, name) for name in fields}})
            if len(batch) == CHUNK:
                count += _write(db, statement, batch)
        count += _write(db, statement, batch)
        deadlined = time.perf_counter()
        request_stats.rebuild(db.session.connection(), app.config["TZ"])
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        print(f"deadlines for {count:,} requests {deadlined - started:.0f} s, "
              f"dashboard counters {time.perf_counter() - deadlined:.0f} s")


def _write(db, statement, batch) -> int:
    if not batch:
        return 0
    with db.engine.begin() as conn:  # its own connection: the reading one streams
        conn.execute(statement, batch)
    done = len(batch)
    batch.clear()
    return done


# --- PostgreSQL: the same data ---------------------------------------------------------------

class Postgres:
    """A private database on the server, migrated, with the SQLite file's tables copied in."""

    def __init__(self, server_url: str, sqlite_path: Path, instance: Path):
        from flask_migrate import upgrade

        from app.extensions import db

        self._server = contextlib.ExitStack()
        self.url = self._server.enter_context(private_postgres_database(server_url, "zhkh_dashboard"))
        self.name = make_url(self.url).database
        self.app = app_for(self.url, instance)
        started = time.perf_counter()
        try:
            with self.app.app_context():
                upgrade()
                self._copy(db.engine, sqlite_path)
                db.engine.dispose()
        except BaseException:
            self.drop()
            raise
        print(f"PostgreSQL: {self.name}, copied in {time.perf_counter() - started:.0f} s")

    def _copy(self, engine, sqlite_path: Path) -> None:
        source = sqlite3.connect(sqlite_path)
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("SET TIME ZONE 'UTC'")  # SQLite's datetimes are UTC without a zone
            cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'requests' "
                        "AND indexname NOT LIKE 'pk_%' AND indexname NOT LIKE 'uq_%'")  # constraints stay
            indexes = cur.fetchall()
            for name, _ in indexes:  # loading first and indexing after is several times faster
                cur.execute(f'DROP INDEX "{name}"')
            cur.execute("TRUNCATE " + ", ".join(TABLES) + " CASCADE")
            for table in TABLES:
                columns = [c[1] for c in source.execute(f"PRAGMA table_info({table})")]
                names = ", ".join(columns)
                with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in source.execute(f"SELECT {names} FROM {table}"):
                        copy.write_row(row)
                if "id" in columns:
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT coalesce(max(id), 1) FROM {table}))")
            for name, definition in indexes:
                if not name.startswith("ix_requests_search_"):  # text search: not measured here
                    cur.execute(definition)
            raw.commit()
        finally:
            raw.close()
            source.close()
        # As autovacuum leaves a live database: statistics, and the visibility map index-only scans need.
        with create_engine(engine.url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))

    def drop(self) -> None:
        with self.app.app_context():
            from app.extensions import db
            db.engine.dispose()
        self._server.close()


# --- measuring -------------------------------------------------------------------------------

def measure(app, backend: str, repeat: int) -> None:
    from app.dashboard.figures import Period, compute
    from app.extensions import db
    from app.services.requests import deadlines
    client = signed_in(app)
    with app.app_context():
        busiest, name = db.session.execute(
            text("SELECT c.id, c.name FROM categories c JOIN requests r ON r.category_id = c.id "
                 "GROUP BY c.id, c.name ORDER BY count(*) DESC LIMIT 1")).one()
        overdue = db.session.execute(select(func.count()).where(deadlines.OVERDUE)).scalar_one()
    tz = app.config["TZ"]

    print(f"\n{backend}: median of {repeat} runs (ms)")
    print(f"{'case':58} {'HTTP':>8} {'figures':>8}")
    for title, start in PERIODS:
        for category, label in ((None, "every category"), (busiest, name)):
            url = f"/dashboard/data?from={start}&to={LAST_DAY}" + (f"&category={category}" if category else "")
            response = client.get(url)
            assert response.status_code == 200 and response.get_json()["errors"] == {}, url
            filed = response.get_json()["tiles"][0]["value"]
            period = Period(start, LAST_DAY, category)

            def figures(period=period):
                with app.app_context():
                    compute(period, tz)
                    db.session.remove()

            http_ms, figures_ms = journal_bench.median_ms([lambda url=url: client.get(url), figures], repeat)
            print(f"{f'dashboard, {title}, {label} ({filed:,} requests)':58} {http_ms:>8.1f} {figures_ms:>8.1f}")
    for title, query in (("journal «просроченные», newest first", "/?overdue=overdue"),
                         ("journal «просроченные», nearest deadline first", "/?overdue=overdue&sort=overdue"),
                         ("journal «скоро срок»", "/?overdue=soon"),
                         ("journal «аварийные», newest first", "/?overdue=emergency")):
        assert client.get(query).status_code == 200
        [page_ms] = journal_bench.median_ms([lambda query=query: client.get(query)], repeat)
        print(f"{title:58} {page_ms:>8.1f}")
    print(f"(overdue now: {overdue:,} open requests, every deadline of the data having passed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--db", type=Path, default=journal_bench.OUT / "journal.db")
    parser.add_argument("--pg-url",
                        default=os.environ.get("TEST_DATABASE_URL", "postgresql://root@127.0.0.1:5432/test"))
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        journal_bench.seed(args.db, 1_000_000, 100_000)
    sqlite_app = app_for(f"sqlite:///{args.db}", journal_bench.OUT / "instance")
    prepare(sqlite_app)
    if args.backend in ("sqlite", "both"):
        measure(sqlite_app, "SQLite", args.repeat)
    if args.backend in ("postgresql", "both"):
        postgres = Postgres(args.pg_url, args.db, journal_bench.OUT / "instance")
        try:
            measure(postgres.app, "PostgreSQL", args.repeat)
        finally:
            postgres.drop()


if __name__ == "__main__":
    main()
