"""Excel export of the journal as background jobs.

Starting an export runs a background job (a thread) that streams the rows from
the database into the workbook writer (workbook.py), so memory stays flat however
many rows there are. The job records its progress in a small JSON file beside
the file it writes in instance/exports (any web process can answer the page's
polling); when done, the page downloads the file. One running export per user:
starting another stops the first. Files are deleted after an hour.
"""
import json
import logging
import os
import re
import secrets
import threading
import time
from datetime import datetime
from pathlib import Path

from flask import current_app

from app.extensions import db
from app.journal.workbook import EXCEL_MAX_ROWS, TooManyRows, write_workbook  # noqa: F401 (routes)
from app.xlsx import attachment

KEEP_SECONDS = 3600
STALE_SECONDS = 120  # a running job that has not reported for this long died with its process
JOB_ID = re.compile(r"[A-Za-z0-9_-]{16}")

log = logging.getLogger(__name__)


class Cancelled(Exception):
    pass


_lock = threading.Lock()
_running: dict[int, tuple[str, threading.Event, threading.Thread]] = {}  # user id -> job


def _directory(app) -> Path:
    path = Path(app.instance_path) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save(directory: Path, job: dict) -> None:
    job["updated"] = time.time()
    tmp = directory / f"{job['id']}.json.tmp"
    tmp.write_text(json.dumps(job, ensure_ascii=False))
    os.replace(tmp, directory / f"{job['id']}.json")


def _load(directory: Path, job_id: str) -> dict | None:
    if not JOB_ID.fullmatch(job_id or ""):
        return None
    try:
        return json.loads((directory / f"{job_id}.json").read_text())
    except (OSError, ValueError):
        return None


def _cleanup(directory: Path, user_id: int) -> None:
    """Drop files older than KEEP_SECONDS, and the user's earlier finished exports."""
    now = time.time()
    for meta in directory.glob("*.json"):
        job = _load(directory, meta.stem)
        old = now - meta.stat().st_mtime > KEEP_SECONDS
        if job is None or old or (job.get("user_id") == user_id and job.get("state") != "running"):
            for suffix in (".json", ".xlsx", ".part"):
                (directory / f"{meta.stem}{suffix}").unlink(missing_ok=True)


def start(app, user_id: int, statement, columns, total: int, filters=()) -> dict:
    """Start exporting `statement`'s rows for the user; a running export of theirs is stopped.

    `filters`: the applied filters as (title, description) pairs, written on a sheet of their own.
    """
    directory = _directory(app)
    with _lock:
        previous = _running.pop(user_id, None)
    if previous is not None:
        previous[1].set()
    _cleanup(directory, user_id)
    now = datetime.now(app.config["TZ"])
    job = {
        "id": secrets.token_urlsafe(12), "user_id": user_id, "state": "running", "done": 0,
        "total": total, "filename": f"Заявки_{now:%Y-%m-%d_%H-%M}.xlsx",
        "ascii_filename": f"zayavki_{now:%Y-%m-%d_%H-%M}.xlsx", "message": "",
    }
    _save(directory, job)
    cancel = threading.Event()
    # The thread gets its own copy: the job returned here stays "running" (the page draws the polling
    # link from it) even if the thread finishes before the response is rendered.
    thread = threading.Thread(target=_run, args=(app, directory, dict(job), statement, columns, filters, cancel),
                              name=f"export-{job['id']}", daemon=True)
    with _lock:
        _running[user_id] = (job["id"], cancel, thread)
    thread.start()
    return job


def _run(app, directory: Path, job: dict, statement, columns, filters, cancel: threading.Event) -> None:
    part = directory / f"{job['id']}.part"

    def progress(done: int) -> None:
        if cancel.is_set():
            raise Cancelled
        job["done"] = done
        _save(directory, job)

    try:
        with app.app_context():
            with db.engine.connect() as conn:
                rows = conn.execution_options(yield_per=1000).execute(statement)
                count = write_workbook(part, columns, rows, app.config["TZ"], progress, filters)
        os.replace(part, directory / f"{job['id']}.xlsx")
        job.update(state="done", done=count, total=count)
    except Cancelled:
        job.update(state="cancelled", message="Выгрузка отменена.")
    except TooManyRows:
        job.update(state="error", message="Пока шла выгрузка, строк стало больше, чем помещается "
                                          "в лист Excel. Уточните фильтры.")
    except Exception:
        log.exception("Export %s failed", job["id"])
        job.update(state="error", message="Не удалось сформировать файл. Попробуйте ещё раз "
                                          "или сообщите администратору.")
    finally:
        part.unlink(missing_ok=True)
        _save(directory, job)
        with _lock:
            if _running.get(job["user_id"], ("",))[0] == job["id"]:
                del _running[job["user_id"]]


def status(user_id: int, job_id: str) -> dict | None:
    """The job as its JSON file says, if it is this user's."""
    directory = _directory(current_app)
    job = _load(directory, job_id)
    if job is None or job.get("user_id") != user_id:
        return None
    if job["state"] == "running" and time.time() - job.get("updated", 0) > STALE_SECONDS:
        job.update(state="error", message="Выгрузка прервалась (сервер перезапускался). Запустите её снова.")
        _save(directory, job)
    return job


def cancel(user_id: int, job_id: str) -> bool:
    job = status(user_id, job_id)
    if job is None:
        return False
    with _lock:
        running = _running.get(user_id)
    if running is not None and running[0] == job_id:
        running[1].set()
        running[2].join(timeout=10)
    return True


def wait(job_id: str, timeout: float = 60) -> None:
    """Block until the job's thread ends (tests and the benchmark use it)."""
    with _lock:
        threads = [t for jid, _, t in _running.values() if jid == job_id]
    for thread in threads:
        thread.join(timeout)


def download(user_id: int, job_id: str):
    """The finished file as an attachment, or None."""
    job = status(user_id, job_id)
    path = _directory(current_app) / f"{job_id}.xlsx"
    if job is None or job["state"] != "done" or not path.exists():
        return None
    return attachment(path, job["filename"], job["ascii_filename"])
