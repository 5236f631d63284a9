"""Journal speed on a big database: page, text filter and Excel export.

    .venv/bin/python bench/journal.py                  # 1 000 000 requests over 100 000 clients
    .venv/bin/python bench/journal.py --reuse --backend both --skip-export   # pages on SQLite and PostgreSQL
    .venv/bin/python bench/journal.py --rows 200000 --clients 20000
    .venv/bin/python bench/journal.py --reuse          # measure again without re-seeding
    .venv/bin/python bench/journal.py --reuse --skip-pages --export-rows 50000   # the export only

Seeds a fresh database (bench/out/journal.db) with bulk inserts of clients, categories,
executors and request texts made by the code of `flask seed-demo` (app/services/operations/demo_data.py),
then prints:
- the median time of the journal page through the Flask test client for the cases of issue 13
  (status + category + a period, text-contains filters, the phone filter, no filter, page 2,000)
  and the conversation's filters, beside the SQL the page sent run again through the bare driver,
  and the count the page shows (exact, or an estimate labelled as one on PostgreSQL:
  app/journal/total.py; an exact one is checked against the plain count);
  --backend postgresql / both: the same on PostgreSQL, the SQLite database copied there once by
  `flask transfer-db` (app/services/operations/transfer.py) into --pg-db on the --pg-url server, kept with --reuse;
- the text filters' counts from the search index (migrations 0003, 0012) beside the full scans the
  app ran before (SQLite);
- the time and peak RSS of exporting ~100 000 rows through the real export job, beside
  bare XlsxWriter (the export's writer, same settings) and bare openpyxl write-only writing
  the same rows, and reading them alone; then the export's RSS as rows grow.
Targets (issue 13, on both engines): indexed filters and no filter <= 30 ms, text-contains <= 150 ms,
the phone filter <= 100 ms, page 2,000 <= 50 ms;
export <= 1.25x bare XlsxWriter; RSS < 150 MB and flat.
"""
import argparse
import contextlib
import os
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.search import SEARCH_TABLE, match_query  # noqa: E402
from devtools.databases import postgres_reachable  # noqa: E402
from devtools.staff_session import signed_in  # noqa: E402

OUT = ROOT / "bench" / "out"
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime in SQLite
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
YEARS = 3

# What residents add to a description (the texts themselves are demo_data's): variety for the search index.
PHRASES = ["срочно", "с утра", "уже третий день", "соседи жалуются", "просьба прийти после 18:00",
           "в квартире маленький ребёнок", "пожилой жилец, позвонить заранее", "повторная заявка",
           "ключи у консьержа", "вход со двора", "код домофона 45К", "ждём мастера весь день",
           "звонить на сотовый", "мешает спать", "вода бежит на лестницу", "управляющая не отвечает"]


def age_status(rng: random.Random, age_days: float) -> str:
    """Old requests are closed or archived; recent ones are still being worked."""
    if age_days > 90:
        table = (("archived", 55), ("closed", 40), ("done", 5))
    elif age_days > 14:
        table = (("closed", 55), ("done", 25), ("in_progress", 10), ("assigned", 5), ("new", 5))
    else:
        table = (("new", 25), ("assigned", 25), ("in_progress", 30), ("done", 15), ("closed", 5))
    return rng.choices([s for s, _ in table], [w for _, w in table])[0]


def fmt(dt: datetime | None) -> str | None:
    return dt.astimezone(timezone.utc).replace(tzinfo=None).strftime(SQLITE_DATETIME) if dt else None


def make_app(db: Path | str):
    """The app on the SQLite file `db`, or on the database URL `db`."""
    from app import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": db if isinstance(db, str) else f"sqlite:///{db}",
        "SECRET_KEY": "bench", "INSTANCE_PATH": str(OUT / "instance"), "STORAGE_DIR": str(OUT / "storage"),
    })


# --- seeding ----------------------------------------------------------------------

def seed(db_path: Path, rows: int, clients: int) -> None:
    from flask_migrate import upgrade

    from app.extensions import db
    from app.models import Request, StaffUser
    from app.services.operations import demo_data
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    app = make_app(db_path)
    rng = random.Random(20250601)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        user = StaffUser(login="bench", full_name="Бенчмарк", role="operator")
        user.set_password("bench-password")
        db.session.add(user)
        categories, executors = demo_data.add_categories(), demo_data.add_executors(rng)
        db.session.flush()
        category_ids = [c.id for c in categories]  # in CATEGORIES order, as CATEGORY_WEIGHTS
        subs_of = {c.id: [(sub.id, sub.name) for sub in c.subcategories] for c in categories}
        executor_ids = [e.id for e in executors]
        db.session.commit()
        indexes = list(Request.__table__.indexes)
        for index in indexes:  # bulk load first, index after: several times faster
            index.drop(db.engine)
        with db.engine.begin() as c:  # the same for the search index: its triggers go, a rebuild follows
            triggers = c.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'requests'").all()
            for name, _ in triggers:
                c.exec_driver_sql(f'DROP TRIGGER "{name}"')
        db.engine.dispose()

    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA synchronous = OFF")
    cur = conn.cursor()
    created = fmt(NOW - timedelta(days=365 * YEARS + 30))
    client_rows = [(i, c["account"], c["full_name"], c["city"], c["street"], c["house"], c["house_letter"],
                    c["apartment"], c["phone"], c["contract_number"], created, created)
                   for i, c in enumerate(demo_data.client_rows(rng, clients), 1)]
    cur.executemany("INSERT INTO clients (id, account, full_name, city, street, house, house_letter, apartment, "
                    "phone, contract_number, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    client_rows)

    # Requests: created times spread over YEARS, numbered in filing order.
    span = timedelta(days=365 * YEARS).total_seconds()
    insert = ("INSERT INTO requests (id, number, created_at, updated_at, client_id, account, client_full_name, "
              "city, street, house, house_letter, apartment, contact_phone, author_telegram_id, author_chat_id, "
              "created_by_id, source, idempotency_key, category_id, subcategory_id, description, status, "
              "executor_id, assigned_at, in_progress_at, done_at, closed_at, archived_at) "
              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
    offsets = sorted(rng.random() * span for _ in range(rows))
    start = NOW - timedelta(days=365 * YEARS)
    chunk = []
    for n, offset in enumerate(offsets, 1):
        created_at = start + timedelta(seconds=offset)
        age = (NOW - created_at).total_seconds() / 86400
        status = age_status(rng, age)
        client = client_rows[rng.randrange(clients)]
        cat = rng.choices(category_ids, demo_data.CATEGORY_WEIGHTS)[0]
        sub_id, sub_name = rng.choice(subs_of[cat])
        telegram = rng.random() < 0.8
        steps = ["new", "assigned", "in_progress", "done", "closed", "archived"].index(status)
        t = created_at
        stamps = []
        for _ in range(5):
            t = t + timedelta(hours=rng.uniform(0.2, 30))
            stamps.append(t)
        stamps = [fmt(s) if i < steps and s < NOW else None for i, s in enumerate(stamps)]
        updated = max([s for s in stamps if s] or [fmt(created_at)])
        description = (f"{rng.choice(demo_data.DESCRIPTIONS[sub_name])} {rng.choice(PHRASES).capitalize()}. "
                       f"Кв. {client[7]}, подъезд {rng.randint(1, 8)}.")
        chunk.append((
            n, n, fmt(created_at), updated, client[0], client[1], client[2], client[3], client[4], client[5],
            client[6], client[7], client[8], 10**9 + client[0] if telegram else None,
            10**9 + client[0] if telegram else None, None if telegram else 1, "telegram" if telegram else "phone",
            None, cat, sub_id, description, status, None if status == "new" else rng.choice(executor_ids), *stamps))
        if len(chunk) == 50_000:
            cur.executemany(insert, chunk)
            chunk.clear()
    cur.executemany(insert, chunk)
    cur.execute("UPDATE counters SET value = ? WHERE name = 'request'", (rows,))
    # The conversation: about 1 open request in 50 has unread resident messages; residents rated a
    # third of the finished requests filed in Telegram, returned a few, left some to close by themselves.
    cur.execute("UPDATE requests SET unread_messages = 1 + id % 3 "
                "WHERE status IN ('new', 'assigned', 'in_progress', 'done') AND id % 50 = 0")
    cur.execute("UPDATE requests SET verdict = 'confirmed', rating = 1 + (id * 7) % 5 "
                "WHERE status IN ('closed', 'archived') AND source = 'telegram' AND id % 3 = 0")
    cur.execute("UPDATE requests SET verdict = 'auto_closed' "
                "WHERE status IN ('closed', 'archived') AND source = 'telegram' AND id % 3 = 1 AND id % 7 = 0")
    cur.execute("UPDATE requests SET verdict = 'asked' WHERE status = 'done' AND source = 'telegram'")
    cur.execute("UPDATE requests SET verdict = 'returned' WHERE status = 'in_progress' AND id % 11 = 0")
    conn.commit()
    conn.close()
    loaded = time.perf_counter()

    with app.app_context():
        for index in indexes:
            index.create(db.engine)
        indexed = time.perf_counter()
        with db.engine.begin() as c:
            for _, sql in triggers:
                c.exec_driver_sql(sql)
            c.exec_driver_sql(f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}) VALUES ('rebuild')")
        searchable = time.perf_counter()
        with db.engine.begin() as c:  # after the rebuild: FTS5's own queries slow down ~6x on
            c.exec_driver_sql("ANALYZE")  # statistics taken while its index was empty
        check = db.session.get(Request, 1)
        assert check.created_at.tzinfo is not None and check.number == 1  # read back as the app reads it
        db.engine.dispose()
    print(f"seeded {rows:,} requests / {clients:,} clients: insert {loaded - started:.1f} s, "
          f"indexes {indexed - loaded:.1f} s, search index rebuild {searchable - indexed:.1f} s, "
          f"ANALYZE {time.perf_counter() - searchable:.1f} s, file {db_path.stat().st_size / 2**20:.0f} MB")


# --- measuring --------------------------------------------------------------------

def median_ms(fns, repeat: int) -> list[float]:
    """Median milliseconds of each function, run in turns so that a busy machine slows all alike."""
    for fn in fns:
        fn()  # warm caches (and the page cache of the database file)
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, out in zip(fns, times):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)
    return [statistics.median(t) for t in times]


def raw_connection(db_path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection set up as the app sets up its own (app/database.py)."""
    conn = sqlite3.connect(db_path)
    conn.create_function("lower", 1, lambda v: v.lower() if isinstance(v, str) else v, deterministic=True)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


# The old text filters, for the section that compares them with the search index (SQLite).
SELECT_COUNT = "SELECT count(*) FROM requests WHERE {where}"
SEARCH = f"requests.id IN (SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH ?)"
SCAN = "lower(requests.{column}) LIKE '%' || ? || '%' ESCAPE '/'"


# --- PostgreSQL: the same database, moved by `flask transfer-db` ---------------------

def postgres_copy(db_path: Path, server_url: str, name: str, reuse: bool) -> str:
    """The SQLite bench database in the PostgreSQL database `name` on the server, copied by the
    transfer (which ends with VACUUM ANALYZE); kept when --reuse and it holds as many requests."""
    from sqlalchemy import create_engine, make_url, text

    from app.config import normalise_database_url
    from app.services.operations import transfer
    server = make_url(normalise_database_url(server_url))
    url = server.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
    if exists and reuse:
        target = create_engine(url)
        with target.connect() as conn:
            copied = conn.execute(text("SELECT count(*) FROM requests")).scalar() if \
                conn.execute(text("SELECT to_regclass('requests')")).scalar() else None
        target.dispose()
        with sqlite3.connect(db_path) as source:
            if copied == source.execute("SELECT count(*) FROM requests").fetchone()[0]:
                admin.dispose()
                return url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    app = make_app(db_path)
    started = time.perf_counter()
    with app.app_context():
        transfer.transfer(url, progress=lambda label, length: contextlib.nullcontext(NoBar()), echo=lambda _: None)
    print(f"copied to PostgreSQL ({name}) by transfer-db in {time.perf_counter() - started:.0f} s "
          "(VACUUM ANALYZE included)")
    return url


class NoBar:
    def update(self, n):
        pass


# --- measuring the page -------------------------------------------------------------

# Issue 13's page times before it (ms: SQLite; PostgreSQL just loaded; after VACUUM ANALYZE) and its
# targets on both engines, by case title.
ISSUE_13 = {
    "status + category + 1 year": ((14.7, 124.3, 29.5), 30),
    "status + category + 1 month": ((8.4, 20.3, 18.8), 30),
    "client contains «иванова»": ((113.3, 241.0, 234.8), 150),
    "description «подвал» + status": ((239.0, 320.8, 387.5), 150),
    "street contains «ленина»": ((144.1, 243.8, 269.7), 150),
    "one client's full name": ((112.4, 113.9, 110.1), 150),
    "no filter": ((16.3, 125.8, 60.9), 30),
    "phone contains digits «912»": ((272.5, 171.3, 184.3), 100),
    "no filter, page 2,000": ((110.8, 227.5, 177.3), 50),
}


def journal_cases(app) -> list[tuple[str, dict]]:
    """The cases of issue 13's table, then the conversation's filters; values read from the data."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Request

    with app.app_context():
        category = db.session.execute(select(Request.category_id).group_by(Request.category_id)
                                      .order_by(func.count().desc()).limit(1)).scalar()
        last = db.session.execute(select(func.max(Request.created_at))).scalar().astimezone(app.config["TZ"]).date()
        full_name = db.session.execute(select(func.lower(Request.client_full_name)).where(Request.id == 1)).scalar()
    day = timedelta(days=1)
    return [
        ("status + category + 1 year", {"status": "closed", "category": category,
                                        "created_at_from": last - 365 * day, "created_at_to": last}),
        ("status + category + 1 month", {"status": "in_progress", "category": category,
                                         "created_at_from": last - 30 * day, "created_at_to": last}),
        ("client contains «иванова»", {"client": "иванова"}),
        ("description «подвал» + status", {"description": "подвал", "status": "closed"}),
        ("street contains «ленина»", {"street": "ленина"}),
        ("one client's full name", {"client": full_name}),
        ("no filter", {}),
        ("phone contains digits «912»", {"phone": "912"}),
        ("no filter, page 2,000", {"page": 2000}),
        ("unread resident messages", {"unread": "yes"}),
        ("unread messages, most first", {"unread": "yes", "sort": "-unread"}),
        ("rating 1-3 + category", {"rating": "low", "category": category}),
        ("returned to work by the resident", {"verdict": "returned"}),
    ]


class PageBench:
    """The journal page of one database through the Flask test client, and the SQL it sent."""

    def __init__(self, url: str):
        from sqlalchemy import event

        from app.extensions import db

        self.app = make_app(url)
        self.client = signed_in(self.app)
        with self.app.app_context():
            self.engine = db.engine
        self.recording: list | None = None

        @event.listens_for(self.engine, "before_cursor_execute")
        def record(conn, cursor, statement, parameters, context, executemany):
            if self.recording is not None:
                self.recording.append((statement, parameters))

        self.raw = self.engine.raw_connection()  # set up as the app's own (app/database.py)

    def get(self, url: str):
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    def page_sql(self, url: str) -> list:
        """The statements the page sends, in order, with their parameters."""
        self.recording = []
        self.get(url)
        statements, self.recording = self.recording, None
        return statements

    def run_raw(self, statements) -> None:
        """The same statements through the bare driver: the page's time in the database."""
        cursor = self.raw.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            if cursor.description is not None:  # not SET
                cursor.fetchall()
        cursor.close()
        self.raw.rollback()

    def exact_count(self, params: dict) -> int:
        """The plain count of the filters (JournalState.count_statement), as the export counts."""
        from werkzeug.datastructures import MultiDict

        from app.extensions import db
        from app.journal.query import load_choices, parse_state

        with self.app.app_context():
            state = parse_state(MultiDict({k: str(v) for k, v in params.items()}), load_choices())
            return db.session.execute(state.count_statement(self.app.config["TZ"])).scalar_one()


FOUND = re.compile(r'id="journal-total">\s*Найдено:\s*<b[^>]*>\s*((?:около |больше )?[\d\u202f]+)</b>')


def measure_pages(db_path: Path, repeat: int, backends: dict[str, str]) -> None:
    """Every case on every backend: the page through the test client beside its SQL run by hand."""
    benches = {name: PageBench(url) for name, url in backends.items()}
    cases = journal_cases(next(iter(benches.values())).app)
    results = []
    for title, params in cases:
        url = "/?" + urlencode(params)
        line = {"title": title, "exact": None}
        for name, bench in benches.items():
            statements = bench.page_sql(url)
            exact = bench.exact_count(params)
            shown = FOUND.search(bench.get(url).get_data(as_text=True))
            shown = shown.group(1).replace("\u202f", "") if shown else "0"
            # An exact figure must be the plain count; an estimate says so («около», «больше»).
            assert shown == str(exact) or not shown.isdigit(), (name, title, shown, exact)
            raw_ms, page_ms = median_ms([lambda b=bench, s=statements: b.run_raw(s),
                                         lambda b=bench: b.get(url)], repeat)
            line.update({"exact": exact, name: (raw_ms, page_ms, shown)})
        results.append(line)
    print(f"\njournal page through the Flask test client, median of {repeat} (ms); raw SQL = the statements "
          "the page sent, run again through the bare driver; shown = the count on the page;\n"
          "issue 13 = the page before it (SQLite / PostgreSQL just loaded / after VACUUM ANALYZE) and its target")
    head = f"{'case':34} {'rows':>9}"
    for name in benches:
        head += f" | {name + ' raw SQL':>17} {'page':>7} {'shown':>14}"
    print(head + f" | {'issue 13':>20} {'target':>6}")
    missed = []
    for line in results:
        text = f"{line['title']:34} {line['exact']:>9,}"
        before, target = ISSUE_13.get(line["title"], (None, None))
        for name in benches:
            raw_ms, page_ms, shown = line[name]
            text += f" | {raw_ms:>17.1f} {page_ms:>7.1f} {shown:>14}"
            if target and page_ms > target:
                missed.append(f"{line['title']} on {name}: {page_ms:.1f} ms > {target} ms")
        if before:
            text += f" | {' / '.join(f'{ms:g}' for ms in before):>20} {target:>6}"
        print(text)
    print("targets: " + ("; ".join(missed) if missed else "all met"))
    if "sqlite" in benches:
        measure_scans(db_path, repeat)


def measure_scans(db_path: Path, repeat: int) -> None:
    """SQLite: the text filters' counts from the search index beside the full scan they replaced."""
    raw = raw_connection(db_path)
    full_name = raw.execute("SELECT lower(client_full_name) FROM requests WHERE id = 1").fetchone()[0]
    cases = [("client «иванова»", "", "client_full_name", "иванова"),
             ("description «подвал» + status", "requests.status = 'closed' AND ", "description", "подвал"),
             ("street «ленина»", "", "street", "ленина"),
             ("one client's full name", "", "client_full_name", full_name),
             ("phone digits «912»", "", "contact_phone", "912")]
    tries = max(3, repeat // 3)
    print(f"\nthe text filters' counts by a full scan (the SQL before the index; median of {tries}, ms)")
    for title, extra, column, term in cases:
        indexed = SELECT_COUNT.format(where=extra + SEARCH), (match_query(column, term),)
        scan = SELECT_COUNT.format(where=extra + SCAN.format(column=column)), (term,)
        counts = [raw.execute(*q).fetchone()[0] for q in (indexed, scan)]
        assert counts[0] == counts[1], (title, counts)  # the index finds what the scan finds
        indexed_ms, scan_ms = median_ms([lambda q=q: raw.execute(*q).fetchone() for q in (indexed, scan)], tries)
        print(f"{title:34} {counts[0]:>9,} {scan_ms:>9.1f}  "
              f"indexed {indexed_ms:.1f}: {scan_ms / indexed_ms:.0f}x faster")
    raw.close()


# --- export -----------------------------------------------------------------------

def export_worker(db_path: Path | str, rows: int, mode: str) -> None:
    """Run in a child process (so its peak RSS is its own); prints rows, wall and CPU seconds,
    MB and file size.

    export: the real job (thread, rows streamed from the database, the workbook into the file store);
    read: the same rows streamed and formatted, nothing written (the database's share);
    openpyxl / xlsxwriter: a bare writer on the same formatted values, already in memory.
    """
    from werkzeug.datastructures import MultiDict

    from app.extensions import db
    from app.journal import export, workbook
    from app.journal.columns import visible_columns
    from app.journal.query import load_choices, parse_state

    app = make_app(db_path)
    with app.app_context():
        tz = app.config["TZ"]
        # The newest `rows` requests: everything created on or after a day boundary
        # near the rows-th newest (a date filter, as a dispatcher would set it).
        nth = db.session.execute(db.text(
            "SELECT created_at FROM requests ORDER BY created_at DESC LIMIT 1 OFFSET :n"), {"n": rows - 1}).scalar()
        nth = nth if isinstance(nth, datetime) else datetime.fromisoformat(nth)  # PostgreSQL's, SQLite's text
        nth = nth.astimezone(timezone.utc) if nth.tzinfo else nth.replace(tzinfo=timezone.utc)
        day = nth.astimezone(tz).date() + timedelta(days=1)
        state = parse_state(MultiDict({"created_at_from": day.isoformat()}), load_choices())
        columns = visible_columns(None)
        statement = state.rows_statement(columns, tz, with_id=False)
        total = db.session.execute(state.count_statement(tz)).scalar_one()
        db.session.remove()
        formatters = [c.export for c in columns]
        size = 0

        if mode == "export":
            from app.models import StaffUser
            from app.services import storage
            user_id = db.session.query(StaffUser).filter_by(login="bench").one().id
            db.session.remove()
            started = clock()
            job = export.start(app, user_id, statement, columns, total)
            export.wait(job["id"], timeout=3600)
            wall, cpu = since(started)  # the workbook written and streamed into the file store
            finished = export.status(user_id, job["id"])
            assert finished["state"] == "done", f"export failed: {finished['message']}"
            size = storage.info(finished["file"]).size
        elif mode == "read":
            started = clock()
            with db.engine.connect() as conn:
                for row in conn.execution_options(yield_per=1000).execute(statement):
                    [fmt_(v, tz) for fmt_, v in zip(formatters, row)]
            wall, cpu = since(started)
        else:
            with db.engine.connect() as conn:
                values = [[fmt_(v, tz) for fmt_, v in zip(formatters, row)] for row in conn.execute(statement)]
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "bare.xlsx"
                started = clock()
                if mode == "openpyxl":
                    from openpyxl import Workbook

                    wb = Workbook(write_only=True)
                    ws = wb.create_sheet("Заявки")
                    ws.append([c.title for c in columns])
                    for row in values:
                        ws.append(row)
                    wb.save(path)
                else:  # XlsxWriter with the export's own settings
                    import xlsxwriter

                    wb = xlsxwriter.Workbook(str(path), workbook.OPTIONS)
                    ws = wb.add_worksheet("Заявки")
                    ws.write_row(0, 0, [c.title for c in columns])
                    for n, row in enumerate(values, 1):
                        ws.write_row(n, 0, row)
                    wb.close()
                wall, cpu = since(started)
                size = path.stat().st_size
    print(f"{total} {wall:.3f} {cpu:.3f} {peak_rss_mb():.1f} {size}")


def clock() -> tuple[float, float]:
    """Wall and CPU seconds; CPU time is the whole process's (the export job's thread too), and
    a machine busy with other work stretches it far less than the wall time."""
    return time.perf_counter(), time.process_time()


def since(started: tuple[float, float]) -> tuple[float, float]:
    return tuple(end - start for start, end in zip(started, clock()))


def peak_rss_mb() -> float:
    """Peak resident memory of this process image. (getrusage's ru_maxrss would include what the
    parent had at fork time: Linux keeps it across exec; VmHWM starts afresh.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_worker(db_path: Path, rows: int, mode: str) -> tuple[int, float, float, float, int]:
    out = subprocess.run([sys.executable, __file__, "--db", str(db_path), "--worker", mode,
                          "--export-rows", str(rows)], capture_output=True, text=True, check=True)
    total, wall, cpu, rss, size = out.stdout.split()[-5:]
    return int(total), float(wall), float(cpu), float(rss), int(size)


WORKERS = {  # mode: what the line says
    "export": "journal export job",
    "xlsxwriter": "bare XlsxWriter",
    "openpyxl": "bare openpyxl",
    "read": "database read only",
}


def measure_export(db_path: Path, rows: int, tries: int) -> None:
    print(f"\nexport (each run in a fresh process, all modes in turns, best of {tries} for wall and for "
          "CPU seconds; RSS = peak resident memory of that process; the bare writers get the rows "
          "prepared in memory first, and their RSS includes them)")
    runs = {mode: [] for mode in WORKERS}
    for _ in range(tries):
        for mode in runs:
            runs[mode].append(run_worker(db_path, rows, mode))
    wall = {mode: min(r[1] for r in results) for mode, results in runs.items()}
    cpu = {mode: min(r[2] for r in results) for mode, results in runs.items()}
    for mode, results in runs.items():
        total, _, _, rss, size = results[0]
        file = f"  file {size / 2**20:5.1f} MB" if size else " " * 16
        print(f"{WORKERS[mode]:19}: {total:>9,} rows  {wall[mode]:7.2f} s  CPU {cpu[mode]:7.2f} s  "
              f"peak RSS {max(r[3] for r in results):6.1f} MB{file}  "
              f"(wall of all runs: {', '.join(f'{r[1]:.1f}' for r in results)} s)")
    for title, best in (("wall", wall), ("CPU", cpu)):
        print(f"{title:>4}: export / bare XlsxWriter {best['export'] / best['xlsxwriter']:.2f}x, "
              f"export / bare openpyxl {best['export'] / best['openpyxl']:.2f}x, "
              f"(export - database read) / bare XlsxWriter "
              f"{(best['export'] - best['read']) / best['xlsxwriter']:.2f}x")
    print("export RSS as rows grow:")
    for n in (rows // 4, rows // 2, rows, rows * 2, rows * 4):
        total, seconds, cpu_seconds, rss, _ = run_worker(db_path, n, "export")
        print(f"  {total:>9,} rows  {seconds:7.2f} s  CPU {cpu_seconds:7.2f} s  peak RSS {rss:6.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="requests to seed")
    parser.add_argument("--clients", type=int, default=100_000, help="clients to seed")
    parser.add_argument("--db", type=Path, default=OUT / "journal.db")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per case (median)")
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--export-tries", type=int, default=3, help="runs of the export and each bare writer "
                                                                    "(best counts)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite",
                        help="where the pages are measured (the export: SQLite)")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL")
                        or "postgresql://root@127.0.0.1:5432/test",
                        help="a PostgreSQL server (default: TEST_DATABASE_URL, else the local one)")
    parser.add_argument("--pg-db", default="bench_journal", help="the database made there for the bench")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--worker", choices=list(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)  # the worker on this database instead of --db
    args = parser.parse_args()
    os.environ.setdefault("TIMEZONE", "Europe/Moscow")
    if args.worker:
        export_worker(args.db_url or args.db, args.export_rows, args.worker)
        return
    if args.backend != "sqlite" and not args.skip_pages and not postgres_reachable(args.pg_url):
        parser.error(f"no PostgreSQL server answers at {args.pg_url}: give --pg-url, or --backend sqlite")
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if not (args.reuse and args.db.exists()):
        seed(args.db, args.rows, args.clients)
    if not args.skip_pages:
        backends = {}
        if args.backend in ("sqlite", "both"):
            backends["sqlite"] = f"sqlite:///{args.db}"
        if args.backend in ("postgresql", "both"):
            backends["postgresql"] = postgres_copy(args.db, args.pg_url, args.pg_db, args.reuse)
        measure_pages(args.db, args.repeat, backends)
    if not args.skip_export:
        measure_export(args.db, args.export_rows, args.export_tries)


if __name__ == "__main__":
    main()
