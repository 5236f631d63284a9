"""Operations on the million-request bench database (issue 22): `/healthz` and `/metrics`,
`flask backup` and `flask restore`.

    .venv/bin/python bench/ops.py                      # SQLite and PostgreSQL
    .venv/bin/python bench/ops.py --backend sqlite
    .venv/bin/python bench/ops.py --photos 500         # more files in STORAGE_DIR
    .venv/bin/python bench/ops.py --skip-backup        # the two URLs only

Uses bench/out/journal.db (seeded by bench/journal.py's code when missing: 1 000 000 requests
over 100 000 clients), with --photos files of 500 kB in a STORAGE_DIR of its own; on PostgreSQL
the same database copied once by `flask transfer-db` into --pg-db (kept for the next run).
Prints for each engine the median time of /healthz and /metrics through the Flask test client
(what a monitoring poll costs), then runs the real commands as the operator would, each in its
own process: the backup's time and the archive's size, the restore's time (into a new empty
database, its row counts compared by the command itself) and each command's peak RSS.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from devtools.databases import private_postgres_database, postgres_reachable  # noqa: E402
from journal import OUT, postgres_copy, seed  # noqa: E402  (bench/journal.py)


# Runs the command and prints the peak RSS (kB) of it and its children (pg_dump, pg_restore) last:
# a process of its own, so no earlier child (the transfer) counts.
MEASURED = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")


def flask(command: list[str], database_url: str, storage: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB of it and its children, output) of one `flask ...` run."""
    env = {**os.environ, "FLASK_APP": "app", "DATABASE_URL": database_url, "STORAGE_DIR": str(storage),
           "INSTANCE_PATH": str(OUT / "instance")}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURED, str(ROOT / ".venv" / "bin" / "flask"), *command],
                          env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"flask {' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    rss = int(done.stderr.strip().splitlines()[-1]) / 1024
    return seconds, rss, done.stdout


def probes(name: str, database_url: str, repeat: int) -> None:
    from app import create_app
    from app.config import normalise_database_url
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url), "METRICS_ALLOWED": "127.0.0.1",
                      "INSTANCE_PATH": str(OUT / "instance"), "STORAGE_DIR": str(OUT / "backup-storage")})
    client = app.test_client()
    for url in ("/healthz", "/metrics"):
        client.get(url)  # warm the page cache
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code in (200, 503), (url, response.status_code)
        print(f"{name}: {url:<9} median {statistics.median(times):7.1f} ms  (max {max(times):.1f} ms, {repeat} runs)")
    with app.app_context():
        db.engine.dispose()


def photos(storage: Path, count: int) -> None:
    folder = storage / "photos" / "bench"
    if folder.is_dir() and len(list(folder.iterdir())) == count:
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"{i:05}.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(500_000))


def round_trip(name: str, source_url: str, restore_url: str, storage: Path) -> None:
    archive = OUT / f"backup-{name}.tar"
    archive.unlink(missing_ok=True)
    seconds, rss, output = flask(["backup", str(archive)], source_url, storage)
    print(f"{name}: backup  {seconds:7.1f} s  {archive.stat().st_size / 2**20:8.1f} MB  peak RSS {rss:6.1f} MB")
    print("   ", output.strip())
    restored = OUT / f"restored-storage-{name}"
    shutil.rmtree(restored, ignore_errors=True)
    seconds, rss, output = flask(["restore", str(archive)], restore_url, restored)
    print(f"{name}: restore {seconds:7.1f} s  {'':>11}  peak RSS {rss:6.1f} MB")
    print("   ", output.strip().splitlines()[-1])
    shutil.rmtree(restored, ignore_errors=True)
    archive.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--db", type=Path, default=OUT / "journal.db")
    parser.add_argument("--photos", type=int, default=100, help="files of 500 kB in STORAGE_DIR")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL")
                        or "postgresql://root@127.0.0.1:5432/test")
    parser.add_argument("--pg-db", default="bench_backup")
    parser.add_argument("--repeat", type=int, default=9, help="timed runs of each URL (median)")
    parser.add_argument("--skip-backup", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("TIMEZONE", "Europe/Moscow")
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.db.exists():
        seed(args.db, 1_000_000, 100_000)
    storage = OUT / "backup-storage"
    photos(storage, args.photos)
    if args.backend in ("sqlite", "both"):
        probes("sqlite", f"sqlite:///{args.db}", args.repeat)
        if not args.skip_backup:
            target = OUT / "restored.db"
            target.unlink(missing_ok=True)
            round_trip("sqlite", f"sqlite:///{args.db}", f"sqlite:///{target}", storage)
            target.unlink()
    if args.backend in ("postgresql", "both"):
        if not postgres_reachable(args.pg_url):
            sys.exit(f"no PostgreSQL server answers at {args.pg_url}")
        source = postgres_copy(args.db, args.pg_url, args.pg_db, reuse=True)
        probes("postgresql", source, args.repeat)
        if not args.skip_backup:
            with private_postgres_database(args.pg_url, "bench_restore") as target:
                round_trip("postgresql", source, target, storage)


if __name__ == "__main__":
    main()
