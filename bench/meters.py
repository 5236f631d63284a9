"""Meter readings at scale: the «Показания» page, the month's export, the reminder, the bot's checks.

    .venv/bin/python bench/meters.py                         # 100 000 accounts × 3 meters × 12 months, SQLite
    .venv/bin/python bench/meters.py --backend both          # and PostgreSQL (copied in from the SQLite file)
    .venv/bin/python bench/meters.py --reuse --backend both  # measure again without re-seeding
    .venv/bin/python bench/meters.py --accounts 10000        # a quick run
    .venv/bin/python bench/meters.py --reuse --backend postgresql --keep-pg   # keep the PostgreSQL copy too

Seeds bench/out/meters.db: clients made by `flask seed-demo`'s code, three meters each (ХВС, ГВС,
electricity), twelve months of readings ending with the current month (3.6 M rows at 100 000
accounts; this month 75 % reported, some of them suspicious), one Telegram binding per account.
Then, per engine, in a child process (so its peak RSS is the measurement's own), prints:
- the median time of the «Показания» page through the Flask test client: no filter, each filter,
  a house, deep pages as their «Дальше» links ask for them (after the previous page's last row) and
  page 100 by its number alone (OFFSET) (target ≤ 50 ms with and without filters);
- the month's export through the route, beside bare XlsxWriter writing the same rows from the same
  query (target ≤ 1.25×), wall clock and CPU time, and the peak RSS before and after it (memory flat);
- queuing the opening reminder to every resident (one INSERT ... SELECT at the BULK priority: the
  sender paces it, request notifications go first, app/bot/outbox.py);
- the checks a typed value runs in the bot (the meter, its baseline) against the per-update budget.
"""
import argparse
import contextlib
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from devtools.databases import postgres_reachable, private_postgres_database  # noqa: E402
from devtools.staff_session import signed_in  # noqa: E402

OUT = ROOT / "bench" / "out"
DB = OUT / "meters.db"
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
MONTHS = 12
TABLES = ("staff_users", "clients", "telegram_bindings", "meters", "meter_readings", "company_settings")
PAGE_TARGET_MS = 50


def make_app(url: str):
    from app import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(OUT / "instance"),
                       "STORAGE_DIR": str(OUT / "storage")})


# --- seeding ----------------------------------------------------------------------

def seed(accounts: int) -> None:
    from flask_migrate import upgrade

    from app.extensions import db
    from app.models import StaffUser
    from app.models.meters import MeterReading
    from app.services import company
    from app.services.meters import window
    from app.services.operations import demo_data

    OUT.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    app = make_app(f"sqlite:///{DB}")
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        user = StaffUser(login="bench", full_name="Бенчмарк", role="operator")
        user.set_password("bench-password")
        db.session.add(user)
        company.put({"meter_window_first": 1, "meter_window_last": 31}, None)
        db.session.commit()
        period = window.period_of(window.today())
        indexes = list(MeterReading.__table__.indexes)
        for index in indexes:  # bulk load first, index after
            index.drop(db.engine)
        db.engine.dispose()
    rng = random.Random(21)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    stamp = now.strftime(SQLITE_DATETIME)
    conn = sqlite3.connect(DB)
    conn.execute("PRAGMA synchronous = OFF")
    clients = demo_data.client_rows(rng, accounts)
    conn.executemany(
        "INSERT INTO clients (id, account, full_name, city, street, house, house_letter, apartment, phone, "
        "contract_number, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [(i, c["account"], c["full_name"], c["city"], c["street"], c["house"], c["house_letter"], c["apartment"],
          c["phone"], c["contract_number"], stamp, stamp) for i, c in enumerate(clients, 1)])
    conn.executemany("INSERT INTO telegram_bindings (id, client_id, telegram_user_id, chat_id, phone, created_at) "
                     "VALUES (?,?,?,?,?,?)",
                     [(i, i, 10_000_000 + i, 10_000_000 + i, "+79120000000", stamp) for i in range(1, accounts + 1)])
    first = _add_months(period, -MONTHS)
    meters = []
    for client_id in range(1, accounts + 1):
        for k, (resource_code, digits, use) in enumerate((("cold", 3, 6), ("hot", 3, 4), ("power", 1, 150))):
            meters.append((client_id * 3 - 2 + k, client_id, resource_code, f"{resource_code[0].upper()}{client_id:07d}",
                           "кухня" if k < 2 else "", 5 if k < 2 else 6, digits, first.isoformat(), use))
    conn.executemany("INSERT INTO meters (id, client_id, resource, serial, place, int_digits, frac_digits, "
                     "initial_date, initial1, active, created_at) VALUES (?,?,?,?,?,?,?,?,0,1,?)",
                     [m[:8] + (stamp,) for m in meters])
    reading_id = 0
    batch = []
    insert = ("INSERT INTO meter_readings (id, meter_id, period, v1, prev1, source, status, live, photo_file_id, "
              "photo_path, comment, created_at) VALUES (?,?,?,?,?,?,?,1,'','','',?)")
    sources = ("bot", "bot", "bot", "operator", "import")
    for meter_id, _, _, _, _, _, _, _, use in meters:
        value = 0
        for m in range(1, MONTHS + 1):
            month = _add_months(first, m)
            if month == period and rng.random() > 0.75:
                continue  # a quarter has not reported this month yet
            used = int(use * 1000 * rng.uniform(0.5, 1.5))
            status = "suspicious" if month == period and rng.random() < 0.01 else "accepted"
            reading_id += 1
            batch.append((reading_id, meter_id, month.isoformat(), value + used, value, rng.choice(sources), status,
                          month.replace(day=20).isoformat() + " 09:00:00.000000"))
            value += used
        if len(batch) >= 200_000:
            conn.executemany(insert, batch)
            batch.clear()
    conn.executemany(insert, batch)
    conn.commit()
    conn.close()
    with app.app_context():
        for index in indexes:
            index.create(db.engine)
        with db.engine.begin() as c:
            c.exec_driver_sql("ANALYZE")
        db.engine.dispose()
    print(f"seeded {accounts:,} accounts, {len(meters):,} meters, {reading_id:,} readings "
          f"in {time.perf_counter() - started:.0f} s")


def _add_months(period, months):
    from app.services.meters.window import add_months
    return add_months(period, months)


KEPT_PG = "zhkh_meters_bench"  # --keep-pg: the copy stays for the next --reuse


@contextlib.contextmanager
def postgres_copy(server_url: str, keep: bool = False, reuse: bool = False):
    """A PostgreSQL database with the SQLite file's tables copied in (COPY): private and dropped
    afterwards, or (`keep`) kept under KEPT_PG and, with `reuse`, used again as it is."""
    from sqlalchemy import make_url

    from app.config import normalise_database_url
    if not keep:
        with private_postgres_database(server_url, "zhkh_meters") as url:
            _copy_into(url)
            yield url
        return
    server = make_url(normalise_database_url(server_url))
    url = server.set(database=KEPT_PG).render_as_string(hide_password=False)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": KEPT_PG}).first()
        if exists and not reuse:
            conn.execute(text(f'DROP DATABASE "{KEPT_PG}" WITH (FORCE)'))
        if not exists or not reuse:
            conn.execute(text(f'CREATE DATABASE "{KEPT_PG}"'))
    admin.dispose()
    if not (exists and reuse):
        _copy_into(url)
    yield url


def _copy_into(url: str) -> None:
    from flask_migrate import upgrade

    from app.extensions import db
    app = make_app(url)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        source = sqlite3.connect(DB)
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("SET TIME ZONE 'UTC'")
            for table in TABLES:
                columns = [c[1] for c in source.execute(f"PRAGMA table_info({table})")]
                names = ", ".join(columns)
                booleans = {i for i, c in enumerate(columns) if c in ("live", "active")}
                cur.execute(f"DELETE FROM {table}")
                with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in source.execute(f"SELECT {names} FROM {table}"):
                        copy.write_row([bool(v) if i in booleans and v is not None else v
                                        for i, v in enumerate(row)])
                if "id" in columns:
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT coalesce(max(id), 1) FROM {table}))")
            raw.commit()
        finally:
            raw.close()
            source.close()
        db.engine.dispose()
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"PostgreSQL: copied in {time.perf_counter() - started:.0f} s")


# --- measuring (in a child process) ---------------------------------------------------

def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_ms(fn, repeat: int) -> float:
    return timings(fn, repeat)[0]


def timings(fn, repeat: int) -> tuple[float, float, float]:
    """(median, fastest) wall-clock ms and the median CPU ms of this process: on a shared host the
    wall clock also counts other processes' turns; the CPU time is this page's own work (and, on
    SQLite, the database's)."""
    fn()  # warm the caches
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def server_ms(query: str, period) -> float:
    """PostgreSQL: the page's statement as the server runs it (EXPLAIN ANALYZE's execution time, without
    timing each node: that would add a clock call per row and loop to what is measured)."""
    from urllib.parse import unquote

    from werkzeug.datastructures import MultiDict

    from app.extensions import db
    from app.models.meters import RESOURCES
    from app.services.meters import month
    args = MultiDict([unquote(part).split("=", 1) for part in query.split("&") if part])
    stmt = month.page_statement(period, month.Filters.parse(args, RESOURCES), int(args.get("page", 1)),
                                after=month.Cursor.parse(args.get("after")))
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = db.session.execute(text("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql)).scalar()
    db.session.rollback()
    return plan[0]["Execution Time"]


def measure(url: str, backend: str, repeat: int, skip_export: bool, export_runs: int) -> None:
    from app.extensions import db
    from app.meters.workbook import OPTIONS
    from app.services.meters import month, readings, reminders, values, window
    from app.services.messaging import outbox
    app = make_app(url)
    client = signed_in(app)
    with app.app_context():
        house = month.houses()[len(month.houses()) // 2][0]
        period = window.period_of(window.today())
        # Page 100 as its «Дальше» link asks for it: after the last row of page 99.
        deep = "page=100&after=" + quote(str(month.Cursor.of(month.page(period, month.Filters(), 99).rows[-1])))
        deep_attention = "state=attention&page=20&after=" + quote(str(month.Cursor.of(
            month.page(period, month.Filters(state=month.ATTENTION), 19).rows[-1])))
    cases = [("no filter", ""), ("house", "house=" + house), ("resource", "resource=hot"),
             ("missing", "state=missing"), ("submitted", "state=submitted"), ("need checking", "state=attention"),
             ("source: operator", "source=operator"), ("house + missing", "state=missing&house=" + house),
             ("page 100", deep), ("page 20, checking", deep_attention), ("page 100, OFFSET", "page=100")]
    print(f"\n{backend}: «Показания» page of {repeat} runs (target ≤ {PAGE_TARGET_MS} ms): wall median / fastest, "
          f"CPU median{', SQL on the server' if backend == 'PostgreSQL' else ''}")
    for title, query in cases:
        def get():
            response = client.get("/meters/?" + query)
            assert response.status_code == 200, response.status_code
        wall, fastest, cpu = timings(get, repeat)
        line = f"  {title:<18} {wall:7.1f} / {fastest:6.1f} ms   CPU {cpu:6.1f} ms"
        if backend == "PostgreSQL":
            with app.app_context():
                line += f"   SQL {server_ms(query, period):6.1f} ms"
        print(line + f"  {'ok' if fastest <= PAGE_TARGET_MS else 'SLOW'}")
    summary_ms = median_ms(lambda: client.get("/meters/summary"), 3)
    print(f"  «Сводка» by house {summary_ms:7.1f} ms")

    with app.app_context():
        meter = db.session.execute(db.select(readings.Meter).where(readings.Meter.id == 4242)).scalar_one()
        user = 10_000_000 + meter.client_id

        def typed_value():
            m = readings.resident_meter(user, meter.id)
            base = readings.baseline(m, period)
            value = values.parse("123,4", m.int_digits, m.frac_digits)
            base.below(0, value), base.unusual(0, value)
            db.session.rollback()
        print(f"  bot: a typed value's checks {median_ms(typed_value, repeat):.1f} ms (per-update budget: 1 s)")

    if not skip_export:
        import xlsxwriter

        from app.models.meters import RESOURCES, SOURCES, STATUSES
        from app.models.reference import format_address
        tz = app.config["TZ"]
        with app.app_context(), db.engine.connect() as conn:  # read once, so that neither side meets cold caches
            for _ in conn.execution_options(yield_per=2000).execute(month.export_statement(period, month.Filters())):
                pass

        def export():
            response = client.get("/meters/export.xlsx")
            return len(response.data)

        def bare():
            with app.app_context(), tempfile.TemporaryDirectory() as tmp, db.engine.connect() as conn:
                # the same rows from the same query, each cell made and written
                rows = conn.execution_options(yield_per=2000).execute(month.export_statement(period, month.Filters()))
                book = xlsxwriter.Workbook(f"{tmp}/bare.xlsx", {**OPTIONS, "tmpdir": tmp})
                sheet = book.add_worksheet()
                n = 0
                for r in rows:
                    n += 1
                    sheet.write_row(n, 0, (r.account, format_address(r.city, r.street, r.house, r.house_letter,
                                                                     r.apartment),
                                           RESOURCES[r.resource].title, "", r.serial, r.prev1 / 1000, r.v1 / 1000,
                                           (r.v1 - r.prev1) / 1000, r.created_at.astimezone(tz).replace(tzinfo=None),
                                           SOURCES[r.source], STATUSES[r.status]))
                book.close()
                return n

        def timed(fn):
            started, started_cpu = time.perf_counter(), time.process_time()
            result = fn()
            return result, time.perf_counter() - started, time.process_time() - started_cpu

        rss_before = peak_mb()
        ours, theirs = [], []
        for i in range(export_runs):  # in turn, the best of each: the host's other work comes and goes
            size, *spent = timed(export)
            ours.append(spent)
            if i == 0:
                rss_after = peak_mb()  # the export's own peak
            n, *spent = timed(bare)
            theirs.append(spent)
        export_s, export_cpu = min(w for w, _ in ours), min(c for _, c in ours)
        bare_s, bare_cpu = min(w for w, _ in theirs), min(c for _, c in theirs)
        print(f"  export of the month ({size / 2**20:.1f} MB, {n:,} rows), best of {export_runs}: wall {export_s:.1f} s, "
              f"CPU {export_cpu:.1f} s; bare XlsxWriter wall {bare_s:.1f} s, CPU {bare_cpu:.1f} s: "
              f"{export_s / bare_s:.2f}× wall, {export_cpu / bare_cpu:.2f}× CPU (target ≤ 1.25×); "
              f"peak RSS {rss_before:.0f} → {rss_after:.0f} MB")

    with app.app_context():
        started = time.perf_counter()
        queued = outbox.queue_bulk(reminders.chats(period, missing_only=False), "Открыт приём показаний",
                                   kind=reminders.REMINDER_KIND)
        queue_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        missing = db.session.execute(db.select(db.func.count()).select_from(
            reminders.chats(period, missing_only=True).subquery())).scalar()
        missing_ms = (time.perf_counter() - started) * 1000
        db.session.rollback()
    rate = app.config["NOTIFY_RATE"]
    print(f"  reminder: {queued:,} messages queued in {queue_ms:.0f} ms (one INSERT ... SELECT, BULK priority; "
          f"sent at the outbox's pace, {rate} a second: ~{queued / rate / 60:.0f} min, request messages "
          f"first); the closing one's recipients (still missing): {missing:,}, counted in {missing_ms:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="measure the database seeded before")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://root@127.0.0.1:5432/test")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--export-runs", type=int, default=2, help="the export and bare XlsxWriter, in turn")
    parser.add_argument("--keep-pg", action="store_true",
                        help=f"keep the PostgreSQL copy ({KEPT_PG}); with --reuse, measure it again as it is")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child process: a database URL
    parser.add_argument("--name", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.name, args.repeat, args.skip_export, max(1, args.export_runs))
        return
    if not (args.reuse and DB.exists()):
        seed(args.accounts)

    def child(url: str, name: str) -> None:
        command = [sys.executable, __file__, "--measure", url, "--name", name, "--repeat", str(args.repeat),
                   "--export-runs", str(args.export_runs)]
        subprocess.run(command + (["--skip-export"] if args.skip_export else []), check=True)

    if args.backend in ("sqlite", "both"):
        child(f"sqlite:///{DB}", "SQLite")
    if args.backend in ("postgresql", "both") and postgres_reachable(args.pg_url):
        with postgres_copy(args.pg_url, keep=args.keep_pg, reuse=args.reuse) as url:
            child(url, "PostgreSQL")


if __name__ == "__main__":
    main()
