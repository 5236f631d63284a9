"""Excel export of the journal as background jobs any web process can answer.

Starting an export records a job (an ExportJob row) and runs it in a thread of the web process
that started it: the rows stream from the database into the workbook writer (workbook.py) and a
temporary file, so memory stays flat however many rows there are; the finished workbook is then
streamed from that file into the file store (app.services.storage: for the database store, a
chunk per row, so it is never whole in memory). The page's polling, its cancel and the download
read the row, so they may land on any web process of any machine.

The thread beats (heartbeat_at) several times within EXPORT_STALE_SECONDS; a running job whose
beat is older than that died with its process and is marked failed, with a sentence, when it is
next polled. One running export per user: starting another stops the first (the thread sees its
job is no longer running at its next progress). Jobs and their files are deleted an hour after
they started.
"""
import logging
import os
import re
import secrets
import socket
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, or_, select, update

from app.extensions import db
from app.journal.workbook import EXCEL_MAX_ROWS, TooManyRows, write_workbook  # noqa: F401 (routes)
from app.models import ExportJob, utcnow
from app.services import storage
from app.xlsx import XLSX_MIME, download_headers

KEEP_SECONDS = 3600
PROGRESS_SECONDS = 0.25  # the job's row is written at most this often while rows are written
JOB_ID = re.compile(r"[A-Za-z0-9_-]{16}")
RUNNING, DONE, CANCELLED, ERROR = "running", "done", "cancelled", "error"

CANCELLED_TEXT = "Выгрузка отменена."
DIED_TEXT = ("Выгрузка прервалась: сервер, который готовил файл, перестал отвечать (перезапуск или сбой). "
             "Запустите её снова.")
TOO_MANY_TEXT = "Пока шла выгрузка, строк стало больше, чем помещается в лист Excel. Уточните фильтры."
FAILED_TEXT = "Не удалось сформировать файл. Попробуйте ещё раз или сообщите администратору."

log = logging.getLogger(__name__)


class Cancelled(Exception):
    pass


_lock = threading.Lock()
_threads: dict[str, threading.Thread] = {}  # job id -> this process's thread running it


def _as_dict(job: ExportJob) -> dict:
    """What the page and the routes use (a copy: the page draws from it after the session is gone)."""
    return {"id": job.id, "user_id": job.user_id, "state": job.state, "done": job.done, "total": job.total,
            "filename": job.filename, "ascii_filename": job.ascii_filename, "message": job.message,
            "file": job.file}


def _still_running(job_id: str, **values) -> bool:
    """Write the job's row if it is still running (nobody cancelled it); commits."""
    changed = db.session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.state == RUNNING)
                                 .values(**values)).rowcount
    db.session.commit()
    return bool(changed)


def _delete(jobs) -> None:
    for job in jobs:
        if job.file:
            storage.delete_file(job.file)
        db.session.delete(job)


def _cleanup(user_id: int) -> None:
    """Stop the user's running export; drop the user's earlier exports and everyone's expired ones."""
    db.session.execute(update(ExportJob).where(ExportJob.user_id == user_id, ExportJob.state == RUNNING)
                       .values(state=CANCELLED, message=CANCELLED_TEXT))
    expired = utcnow() - timedelta(seconds=KEEP_SECONDS)
    _delete(db.session.execute(select(ExportJob).where(or_(
        ExportJob.created_at < expired,
        and_(ExportJob.user_id == user_id, ExportJob.state != RUNNING)))).scalars().all())
    db.session.commit()


def start(app, user_id: int, statement, columns, total: int, filters=()) -> dict:
    """Start exporting `statement`'s rows for the user; a running export of theirs is stopped.

    `filters`: the applied filters as (title, description) pairs, written on a sheet of their own.
    """
    with app.app_context():
        _cleanup(user_id)
        now = datetime.now(app.config["TZ"])
        job = ExportJob(id=secrets.token_urlsafe(12), user_id=user_id, state=RUNNING, done=0, total=total,
                        filename=f"Заявки_{now:%Y-%m-%d_%H-%M}.xlsx",
                        ascii_filename=f"zayavki_{now:%Y-%m-%d_%H-%M}.xlsx", message="", file="",
                        host=socket.gethostname()[:255], pid=os.getpid(), created_at=utcnow(), heartbeat_at=utcnow())
        db.session.add(job)
        db.session.commit()
        data = _as_dict(job)
    thread = threading.Thread(target=_run, args=(app, data["id"], statement, columns, filters),
                              name=f"export-{data['id']}", daemon=True)
    with _lock:
        _threads[data["id"]] = thread
    thread.start()
    return data


def _beat(app, job_id: str, stop: threading.Event) -> None:
    """Tell the other processes the job's process is alive, until the job ends."""
    every = max(0.5, app.config["EXPORT_STALE_SECONDS"] / 4)
    with app.app_context():
        while not stop.wait(every):
            try:
                if not _still_running(job_id, heartbeat_at=utcnow()):
                    return
            except Exception as exc:  # noqa: BLE001 - the database away for a moment: beat again later
                log.warning("Export %s: heartbeat not written (%s)", job_id, exc)
                db.session.rollback()
            finally:
                db.session.remove()


def _run(app, job_id: str, statement, columns, filters) -> None:
    stop = threading.Event()
    beat = threading.Thread(target=_beat, args=(app, job_id, stop), name=f"export-beat-{job_id}", daemon=True)
    beat.start()
    last = [0.0]

    def progress(done: int) -> None:
        if time.monotonic() - last[0] < PROGRESS_SECONDS:
            return
        last[0] = time.monotonic()
        if not _still_running(job_id, done=done):
            raise Cancelled

    try:
        with app.app_context(), tempfile.TemporaryDirectory(prefix="export-") as tmp:
            try:
                part = Path(tmp) / "export.xlsx"
                with db.engine.connect() as conn:
                    rows = conn.execution_options(yield_per=1000).execute(statement)
                    count = write_workbook(part, columns, rows, app.config["TZ"], progress, filters)
                with part.open("rb") as fh:  # streamed in: read a chunk at a time from the file
                    ref = storage.save_stream(f"exports/{job_id}.xlsx", fh, XLSX_MIME)
                if not _still_running(job_id, state=DONE, done=count, total=count, file=ref):
                    db.session.rollback()
                    storage.delete_file(ref)  # cancelled meanwhile: the file goes (the database's rolled back)
                    db.session.commit()
            except Cancelled:
                pass  # its state and sentence were written by whoever cancelled it
            except TooManyRows:
                db.session.rollback()
                _still_running(job_id, state=ERROR, message=TOO_MANY_TEXT)
            except Exception:
                log.exception("Export %s failed", job_id)
                db.session.rollback()
                _still_running(job_id, state=ERROR, message=FAILED_TEXT)
            finally:
                db.session.remove()
    finally:
        stop.set()
        with _lock:
            _threads.pop(job_id, None)


def _job(user_id: int, job_id: str) -> ExportJob | None:
    if not JOB_ID.fullmatch(job_id or ""):
        return None
    job = db.session.get(ExportJob, job_id)
    if job is None or job.user_id != user_id:
        return None
    if job.created_at < utcnow() - timedelta(seconds=KEEP_SECONDS):  # expired: gone with its file
        _delete([job])
        db.session.commit()
        return None
    stale = utcnow() - timedelta(seconds=current_app.config["EXPORT_STALE_SECONDS"])
    if job.state == RUNNING and job.heartbeat_at < stale:
        db.session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.state == RUNNING,
                                                   ExportJob.heartbeat_at < stale)
                           .values(state=ERROR, message=DIED_TEXT))
        db.session.commit()
        db.session.refresh(job)
    return job


def status(user_id: int, job_id: str) -> dict | None:
    """The job, if it is this user's; a running job whose process died is failed first."""
    job = _job(user_id, job_id)
    return _as_dict(job) if job is not None else None


def cancel(user_id: int, job_id: str) -> bool:
    """Stop the job, from whichever process; False if there is no such job of the user's."""
    if _job(user_id, job_id) is None:
        return False
    _still_running(job_id, state=CANCELLED, message=CANCELLED_TEXT)
    with _lock:
        thread = _threads.get(job_id)
    if thread is not None:  # ours: let it clear its files before the page hears it is cancelled
        thread.join(timeout=10)
    return True


def wait(job_id: str, timeout: float = 60) -> None:
    """Block until the job's thread in this process ends (tests and the benchmark use it)."""
    with _lock:
        thread = _threads.get(job_id)
    if thread is not None:
        thread.join(timeout)


def download(user_id: int, job_id: str):
    """The finished file as an attachment, or None."""
    job = _job(user_id, job_id)
    if job is None or job.state != DONE or not job.file:
        return None
    response = storage.send(job.file, content_type=XLSX_MIME, download_name=job.ascii_filename)
    return download_headers(response, job.filename, job.ascii_filename) if response is not None else None
