"""The file store's figures (issue 22).

    .venv/bin/python bench/files.py                       # a 2 MB photo read, SQLite and PostgreSQL
    .venv/bin/python bench/files.py --skip-photo --export-rows 200000 --db bench/out/files.db \\
        --before /path/to/a/checkout/of/main              # the export, before and after
    .venv/bin/python bench/files.py --skip-photo --export-rows 200000 --db bench/out/files.db \\
        --export-engines                                  # the export job on SQLite and PostgreSQL

Photo: a 2 MB photo served by the web app (Flask test client, a signed-in dispatcher, the
route with its access checks) from the database (FILE_STORE=database, 2 chunks) and from
STORAGE_DIR, on a new migrated SQLite file and a new PostgreSQL database; the median of
--repeat reads, and the peak RSS growth of this process over them.

Export: bench/journal.py's export worker (the real job, in a fresh process: its time and its
peak RSS) of this checkout and of --before's, in turns on the same SQLite database (seed it
with `bench/journal.py --rows 250000 --clients 25000 --db bench/out/files.db --skip-pages
--skip-export`); best of --tries. After the move the time includes streaming the workbook into
the database. --export-engines: the export job of this checkout on the SQLite file and on its
copy in PostgreSQL (transfer-db), in turns.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.databases import private_postgres_database, postgres_reachable  # noqa: E402
from devtools.staff_session import signed_in  # noqa: E402

PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(2 * 2**20 - 4)  # 2 MB, incompressible as a real photo


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def photo_reads(name: str, url: str, repeat: int) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.config import normalise_database_url
    from app.extensions import db
    from app.models import Category, Request, RequestPhoto, StaffUser
    from app.services import storage
    with tempfile.TemporaryDirectory(prefix="bench-files-") as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url), "SECRET_KEY": "bench",
                          "INSTANCE_PATH": str(Path(tmp) / "instance"), "STORAGE_DIR": str(Path(tmp) / "storage")})
        with app.app_context():
            upgrade()
            user = StaffUser(login="bench", full_name="Бенчмарк", role="operator", password_hash="x")
            category = Category(name="Сантехника")
            db.session.add_all([user, category])
            db.session.flush()
            request = Request(number=1, category_id=category.id, description="Течёт")
            db.session.add(request)
            db.session.flush()
            photos = {}
            for store in (storage.DATABASE, storage.DIRECTORY):
                app.config["FILE_STORE"] = store
                photo = RequestPhoto(request_id=request.id, file_path=storage.save(f"photos/1/{store}.jpg", PHOTO))
                db.session.add(photo)
                db.session.flush()
                photos[store] = photo.id
            db.session.commit()
            request_id = request.id
        client = signed_in(app, "bench")
        for store, photo_id in photos.items():
            path = f"/requests/{request_id}/photos/{photo_id}"
            assert client.get(path).data == PHOTO
            before = peak_rss_mb()
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(path)
                body = response.data
                times.append(time.perf_counter() - started)
                assert len(body) == len(PHOTO)
            ms = statistics.median(times) * 1000
            print(f"{name:10} {store:9}: 2 MB photo in {ms:6.1f} ms (median of {repeat}; "
                  f"{len(PHOTO) / 2**20 / (ms / 1000):5.0f} MB/s), peak RSS {peak_rss_mb() - before:+.1f} MB")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def export_run(checkout: Path, db_path: Path, rows: int, url: str | None = None
               ) -> tuple[int, float, float, float, int]:
    """bench/journal.py's export worker of `checkout` in a fresh process, on the SQLite file `db_path`
    or on the database `url`."""
    out = subprocess.run([sys.executable, str(checkout / "bench" / "journal.py"), "--db", str(db_path.resolve()),
                          "--worker", "export", "--export-rows", str(rows)] + (["--db-url", url] if url else []),
                         cwd=checkout, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"the export of {checkout} failed:\n{out.stdout}{out.stderr}")
    total, wall, cpu, rss, size = out.stdout.split()[-5:]
    return int(total), float(wall), float(cpu), float(rss), int(size)


def exports(before: Path, db_path: Path, rows: int, tries: int) -> None:
    print(f"\nexport of the newest ~{rows:,} requests of {db_path} (each run a fresh process, in turns; "
          f"best of {tries} for wall and CPU, the highest peak RSS)")
    runs = {"before": [], "after": []}
    for _ in range(tries):
        runs["before"].append(export_run(before, db_path, rows))
        runs["after"].append(export_run(ROOT, db_path, rows))
    report({f"before ({before})": runs["before"], f"after ({ROOT})": runs["after"]})


def report(runs: dict[str, list[tuple]]) -> None:
    """One line per label: rows, best wall and CPU, highest peak RSS, file size, every run's wall."""
    for label, results in runs.items():
        total, size = results[0][0], results[0][4]
        print(f"{label:10}: {total:,} rows  {min(r[1] for r in results):6.2f} s  "
              f"CPU {min(r[2] for r in results):6.2f} s  peak RSS {max(r[3] for r in results):6.1f} MB  "
              f"file {size / 2**20:.1f} MB  (wall of all runs: {', '.join(f'{r[1]:.1f}' for r in results)} s; "
              f"load average {os.getloadavg()[0]:.1f} at the end)")


def exports_on_both_engines(db_path: Path, pg_url: str, rows: int, tries: int) -> None:
    """The export job of this checkout (the workbook streamed into the file store) on the seeded
    SQLite file and on its copy in PostgreSQL (made by transfer-db, kept between runs), in turns."""
    sys.path.insert(0, str(ROOT / "bench"))
    from journal import postgres_copy
    url = postgres_copy(db_path, pg_url, "bench_files_export", reuse=True)
    print(f"\nexport job of the newest ~{rows:,} requests, FILE_STORE=database (each run a fresh process, "
          f"the engines in turns; best of {tries} for wall and CPU, the highest peak RSS)")
    runs = {"SQLite": [], "PostgreSQL": []}
    for _ in range(tries):
        runs["SQLite"].append(export_run(ROOT, db_path, rows))
        runs["PostgreSQL"].append(export_run(ROOT, db_path, rows, url))
    report(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL")
                        or "postgresql://root@127.0.0.1:5432/test")
    parser.add_argument("--repeat", type=int, default=30, help="reads of the photo per store (median)")
    parser.add_argument("--skip-photo", action="store_true")
    parser.add_argument("--export-rows", type=int, default=0, help="also time the export of this many rows")
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "files.db")
    parser.add_argument("--before", type=Path, help="a checkout of the code before the move (main)")
    parser.add_argument("--tries", type=int, default=2)
    parser.add_argument("--export-engines", action="store_true",
                        help="the export job on SQLite and on PostgreSQL (a copy of --db made there)")
    args = parser.parse_args()
    os.environ.setdefault("TIMEZONE", "Europe/Moscow")
    if not args.skip_photo:
        if args.backend in ("sqlite", "both"):
            with tempfile.TemporaryDirectory(prefix="bench-files-db-") as tmp:
                photo_reads("SQLite", f"sqlite:///{Path(tmp) / 'files.db'}", args.repeat)
        if args.backend in ("postgresql", "both") and postgres_reachable(args.pg_url):
            with private_postgres_database(args.pg_url, "bench_files") as url:
                photo_reads("PostgreSQL", url, args.repeat)
    if args.export_rows:
        if not args.db.exists():
            parser.error("the export needs a seeded --db (see above)")
        if args.before is not None:
            exports(args.before, args.db, args.export_rows, args.tries)
        if args.export_engines:
            exports_on_both_engines(args.db, args.pg_url, args.export_rows, args.tries)
        elif args.before is None:
            parser.error("the export needs --before (a checkout of the code before) or --export-engines")


if __name__ == "__main__":
    main()
