"""Incidents: moving one with 2 000 linked requests, and the journal's filter «по аварии» on a million requests.

    .venv/bin/python bench/incidents.py                        # SQLite: both parts
    .venv/bin/python bench/incidents.py --backend both         # SQLite and PostgreSQL
    .venv/bin/python bench/incidents.py --skip-filter          # the move only (a small fresh database)
    .venv/bin/python bench/incidents.py --skip-filter --profile  # and where each move's CPU time goes

The move: a fresh migrated database (a file in bench/out; a private database on the PostgreSQL
server) with 2 000 requests filed through the request service by 2 000 residents of one house, linked
to one incident with an executor (records.link); then the incident is moved «устраняется», «устранена»
(each request asks its resident «Проблема решена?») and «закрыта» through app.services.incidents.moves,
each one transaction, timed from the lock to the commit. Target (issue 20): each move commits in <= 2 s.
It also prints how many outbox rows each move queued (one per resident, or one question per request).

The filter: the database bench/journal.py seeds (1 000 000 requests; seeded when missing), with an
incident of 2 000 of its requests; the journal page filtered «Авария: № N», median through the Flask test
client (bench/journal.py's PageBench), newest first. Target: <= 50 ms. On PostgreSQL the database is
copied there by `flask transfer-db` once (kept for the next run with --reuse, as bench/journal.py does).
"""
import argparse
import contextlib
import cProfile
import gc
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import journal as journal_bench  # noqa: E402  (bench/journal.py: the seeding and the page timing)
from devtools.databases import private_postgres_database  # noqa: E402

LINKED = 2000


class GcClock:
    """The CPU time Python's garbage collector takes (gc.callbacks), to tell it from the move's own work."""

    def __init__(self):
        self.spent, self._start = 0.0, 0.0
        gc.callbacks.append(self._tick)

    def _tick(self, phase, info):
        if phase == "start":
            self._start = time.process_time()
        else:
            self.spent += time.process_time() - self._start


def move_bench(url: str, label: str, linked: int, profile: bool = False) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Category, Client, Executor, Notification, StaffUser, Subcategory
    from app.services.incidents import moves, records
    from app.services.requests import lifecycle

    app = journal_bench.make_app(url)
    with app.app_context():
        upgrade()
        staff = StaffUser(login="bench", full_name="Бенчмарк", role="operator")
        staff.set_password("bench-password")
        water = Category(name="Водоснабжение")
        db.session.add_all([staff, water])
        db.session.flush()
        no_water = Subcategory(category_id=water.id, name="Нет воды")
        plumber = Executor(full_name="Петров Пётр", position="Сантехник")
        db.session.add_all([no_water, plumber])
        clients = [Client(account=f"{300000 + n}", full_name=f"Житель {n}", city="Самара", street="ул. Ленина",
                          house="24", apartment=str(n)) for n in range(linked)]
        db.session.add_all(clients)
        db.session.flush()
        started = time.perf_counter()
        ids = [lifecycle.create_request(client=c, category=water, subcategory=no_water, description="Нет воды",
                                        author_telegram_id=900_000 + n, author_chat_id=900_000 + n).id
               for n, c in enumerate(clients)]
        db.session.commit()
        filed = time.perf_counter() - started
        incident = records.create(category=water, subcategory=no_water, description="Прорыв стояка",
                                  expected_at=None, executor=plumber, houses=[("Самара", "ул. Ленина", "24", "")],
                                  actor=staff)
        db.session.commit()
        incident_id = incident.id
        times = [("filed through the request service", filed, None)]

        gc_clock = GcClock()

        def timed(title, change):
            before = db.session.execute(select(func.count(Notification.id))).scalar_one()
            db.session.expire_all()
            profiler = cProfile.Profile() if profile else contextlib.nullcontext()
            started, cpu, collecting = time.perf_counter(), time.process_time(), gc_clock.spent
            with profiler:
                change(records.load(incident_id, lock=True))
                changed = time.perf_counter()
                db.session.commit()
            took = time.perf_counter() - started
            if profile:
                print(f"\n{label}: {title}, the 25 functions taking most CPU time (their own)")
                pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "tottime")).print_stats(int(os.environ.get("BENCH_TOP", "25")))
            queued = db.session.execute(select(func.count(Notification.id))).scalar_one() - before
            times.append((title, took, (queued, time.perf_counter() - changed, time.process_time() - cpu,
                                        gc_clock.spent - collecting)))

        timed(f"link {linked} requests (assigned to the executor)",
              lambda incident: records.link(incident, ids, staff))
        timed("move «устраняется» (all in progress)", lambda incident: moves.move(incident, "fixing", staff, "Бригада"))
        timed("move «устранена» (a question each)", lambda incident: moves.move(incident, "fixed", staff, "Вода есть"))
        timed("move «закрыта»", lambda incident: moves.move(incident, "closed", staff))
        db.session.remove()
        db.engine.dispose()
    print(f"\n{label}: an incident of {linked:,} requests, one transaction each (target: a move <= 2 s)")
    for title, took, extra in times:
        print(f"  {title:48} {took:7.2f} s" + (f" (the commit {extra[1]:.2f} s; this process's CPU {extra[2]:.2f} s, "
                                               f"of it GC {extra[3]:.2f} s)   outbox rows: {extra[0]:,}"
                                               if extra is not None else ""))
    print(f"  load average while measured: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def filter_bench(backends: dict[str, str], repeat: int, linked: int) -> None:
    from sqlalchemy import select, update

    from app.extensions import db
    from app.models import Incident, Request, StaffUser
    from app.models.base import utcnow

    lines = []
    for name, url in backends.items():
        app = journal_bench.make_app(url)
        with app.app_context():
            incident = db.session.execute(select(Incident).order_by(Incident.id).limit(1)).scalar()
            if incident is None:  # once per database: an incident of `linked` requests of one category
                category_id = db.session.execute(select(Request.category_id).limit(1)).scalar_one()
                incident = Incident(number=1, category_id=category_id, description="Прорыв стояка", status="open",
                                    note="", created_at=utcnow(), updated_at=utcnow(),
                                    created_by_id=db.session.execute(select(StaffUser.id)).scalar())
                db.session.add(incident)
                db.session.flush()
                chosen = select(Request.id).where(Request.category_id == category_id).order_by(Request.id.desc()) \
                    .limit(linked).scalar_subquery()
                db.session.execute(update(Request).where(Request.id.in_(chosen)).values(incident_id=incident.id))
                db.session.commit()
            number = incident.number
            db.engine.dispose()
        bench = journal_bench.PageBench(url)
        url_any = "/?incident=есть"
        cases = [(f"«Авария» = № {number}", f"/?incident={number}"), ("«Авария» = есть (any)", url_any),
                 ("no filter (for scale)", "/")]
        for title, page in cases:
            statements = bench.page_sql(page)
            raw_ms, page_ms = journal_bench.median_ms([lambda s=statements: bench.run_raw(s),
                                                       lambda p=page: bench.get(p)], repeat)
            lines.append((name, title, raw_ms, page_ms))
    print(f"\nthe journal's filter «по аварии», median of {repeat} (ms; target <= 50 ms for the incident's page)")
    for name, title, raw_ms, page_ms in lines:
        print(f"  {name:10} {title:28} raw SQL {raw_ms:7.1f}   page {page_ms:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--pg-url",
                        default=os.environ.get("TEST_DATABASE_URL", "postgresql://root@127.0.0.1:5432/test"))
    parser.add_argument("--db", type=Path, default=journal_bench.OUT / "journal.db",
                        help="the million-request database of bench/journal.py (seeded when missing)")
    parser.add_argument("--pg-db", default="bench_incidents")
    parser.add_argument("--reuse", action="store_true", help="keep the PostgreSQL copy of the big database")
    parser.add_argument("--linked", type=int, default=LINKED)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--skip-move", action="store_true")
    parser.add_argument("--skip-filter", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile each move (slower: compare CPU without it)")
    args = parser.parse_args()
    os.environ.setdefault("TIMEZONE", "Europe/Moscow")
    journal_bench.OUT.mkdir(parents=True, exist_ok=True)
    sqlite, postgres = args.backend in ("sqlite", "both"), args.backend in ("postgresql", "both")
    if not args.skip_move:
        if sqlite:
            path = journal_bench.OUT / "incidents-move.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            move_bench(f"sqlite:///{path}", "SQLite", args.linked, args.profile)
        if postgres:
            with private_postgres_database(args.pg_url, "bench_incident_move") as url:
                move_bench(url, "PostgreSQL", args.linked, args.profile)
    if not args.skip_filter:
        if not args.db.exists():
            journal_bench.seed(args.db, 1_000_000, 100_000)
        backends = {}
        if sqlite:
            backends["sqlite"] = f"sqlite:///{args.db}"
        if postgres:
            backends["postgresql"] = journal_bench.postgres_copy(args.db, args.pg_url, args.pg_db, args.reuse)
        filter_bench(backends, args.repeat, args.linked)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
