"""How fast `flask transfer-db` moves a big SQLite database into PostgreSQL, and how much memory it takes.

    .venv/bin/python bench/transfer.py                                 # 200 000 requests / 20 000 clients
    .venv/bin/python bench/transfer.py --rows 1000000 --clients 100000
    .venv/bin/python bench/transfer.py --source instance/app.db        # any SQLite database at head

Seeds bench/out/transfer.db with bench/journal.py's bulk seeder (requests without history;
`flask seed-demo` makes history too, but slowly: pass its database as --source), then runs the
real command in a child process into a new database on the PostgreSQL server (dropped
afterwards) and prints the command's table of counts, rows per second and the child's peak RSS
(flat: rows go in batches; Linux only). The server: --server or TEST_DATABASE_URL.
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from devtools.databases import private_postgres_database  # noqa: E402
from journal import OUT, seed  # noqa: E402  (bench/journal.py)


def run_transfer(source: Path, target_url: str) -> tuple[str, float, float]:
    """The command's output, its wall time and its peak RSS in MB (VmHWM: from exec on, not the fork)."""
    env = {**os.environ, "FLASK_APP": "app", "DATABASE_URL": f"sqlite:///{source.resolve()}",
           "INSTANCE_PATH": str(OUT / "instance"), "SECRET_KEY": "bench"}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "flask", "transfer-db", "--to", target_url],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak_kb = 0
    while True:
        try:
            output = child.communicate(timeout=0.5)[0]
            break
        except subprocess.TimeoutExpired:
            peak_kb = max(peak_kb, peak_rss_kb(child.pid))
    seconds = time.perf_counter() - started
    if child.returncode:
        sys.exit(f"transfer-db failed:\n{output}")
    return output, seconds, peak_kb / 1024


def peak_rss_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000, help="requests to seed")
    parser.add_argument("--clients", type=int, default=20_000, help="clients to seed")
    parser.add_argument("--source", type=Path, help="an existing SQLite database instead of seeding one")
    parser.add_argument("--server", default=os.environ.get("TEST_DATABASE_URL", ""),
                        help="a PostgreSQL server URL with the right to CREATE DATABASE")
    args = parser.parse_args()
    if not args.server:
        parser.error("give --server or set TEST_DATABASE_URL")

    source = args.source
    if source is None:
        source = OUT / "transfer.db"
        OUT.mkdir(parents=True, exist_ok=True)
        seed(source, args.rows, args.clients)
    with private_postgres_database(args.server, "zhkh_bench_transfer") as target:
        output, seconds, rss = run_transfer(source, target)

    lines = output.splitlines()
    report = lines[lines.index("Rows per table (source -> target):"):]
    print("\n".join(report))
    rows = sum(int(line.split()[1]) for line in report if line.startswith("  "))
    print(f"\n{source} ({source.stat().st_size / 2**20:.0f} MB): {rows:,} rows in {seconds:.1f} s including "
          f"start-up, {rows / seconds:,.0f} rows/s; peak RSS of the command {rss:.0f} MB")


if __name__ == "__main__":
    main()
