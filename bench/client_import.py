"""How fast the client import reads, validates and writes files of thousands of rows.

    .venv/bin/python bench/client_import.py [ROWS]

Builds an .xlsx and a cp1251 .csv with ROWS clients (default 20 000) made as
`flask seed-demo` makes them (app/services/operations/demo_data.py), imports each into a fresh
SQLite database (first run: all created; second run of the same file: all
unchanged), and prints the timings.
"""
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.services.operations import demo_data  # noqa: E402
from app.services.people.client_import import import_clients  # noqa: E402
from devtools.spreadsheets import HEADER, client_row, csv_bytes, xlsx  # noqa: E402


def rows(count: int) -> list[list[str]]:
    return [client_row(client) for client in demo_data.client_rows(random.Random(1), count)]


def main(count: int) -> None:
    data = rows(count)
    files = {"xlsx": xlsx(data), "csv (cp1251, ;)": csv_bytes(data)}
    print(f"{count} rows; columns: {', '.join(HEADER)}")
    for kind, content in files.items():
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "INSTANCE_PATH": tmp,
                              "SECRET_KEY": "bench"})
            with app.app_context():
                upgrade()
                for run in ("create", "re-import"):
                    start = time.perf_counter()
                    report = import_clients(content, f"clients.{kind[:4].strip()}")
                    db.session.commit()
                    took = time.perf_counter() - start
                    print(f"{kind:16} {run:10} {len(content) / 1e6:5.1f} MB  {took:6.2f} s  "
                          f"{count / took:8.0f} rows/s  created={report.created} unchanged={report.unchanged} "
                          f"rejected={len(report.errors)}")
                db.engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
