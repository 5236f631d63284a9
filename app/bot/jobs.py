"""What the bot worker does on a timer, besides answering residents and sending the outbox.

Each job runs in its own app context and transaction, every `every` seconds (the first
run one period after the start); a failing job is logged and tried again next time,
without holding up the others. A feature that needs timed work adds a row to JOBS.
"""
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from flask import current_app
from sqlalchemy import delete

from app.bot import meter_readings, photos
from app.bot.sender import describe
from app.extensions import db
from app.models import ProcessedUpdate, utcnow
from app.services.meters import reminders as meter_reminders
from app.services.requests import lifecycle as request_service
from app.services.requests import staff_alerts
from app.services.people import throttle
log = logging.getLogger(__name__)

KEEP_PROCESSED = timedelta(days=7)  # Telegram keeps undelivered updates for 24 hours
KEEP_ATTEMPTS_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Job:
    name: str
    every: float | str            # seconds between runs, or the name of the setting that says it
    run: Callable[[object], None]  # run(bot), inside an app context; the runner commits


def purge_old_rows(bot) -> None:
    """Forget processed update ids and throttle attempts nobody will ask about again."""
    db.session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < utcnow() - KEEP_PROCESSED))
    throttle.purge_older_than(KEEP_ATTEMPTS_SECONDS)


def close_unconfirmed(bot) -> None:
    """Done requests whose resident has not answered «Проблема решена?» within CONFIRM_DAYS."""
    request_service.close_unconfirmed(current_app.config["CONFIRM_DAYS"])


JOBS = [
    Job("photo downloads", 60, photos.download_pending),  # the ones that failed right after filing
    Job("purge", 600, purge_old_rows),
    Job("unconfirmed requests", 300, close_unconfirmed),
    Job("overdue alerts", "STAFF_ALERT_SECONDS", staff_alerts.check_overdue),  # both: nothing without
    Job("staff digest", "STAFF_ALERT_SECONDS", staff_alerts.send_digest),      # STAFF_CHAT_ID
    Job("meter reminders", "METER_JOB_SECONDS", meter_reminders.send_reminders),
    Job("meter verification", "METER_JOB_SECONDS", meter_reminders.notify_verification),
    Job("meter photo downloads", 60, meter_readings.download_pending),  # the ones that failed at first
]


class JobRunner:
    """Runs JOBS when they are due; `after_each` is called after a job committed (wakes the outbox)."""

    def __init__(self, app, bot, jobs=None, after_each: Callable[[], None] | None = None, clock=time.monotonic):
        self.app, self.bot, self.clock = app, bot, clock
        self.jobs = list(JOBS if jobs is None else jobs)
        self.after_each = after_each
        self.every = {job.name: float(app.config[job.every] if isinstance(job.every, str) else job.every)
                      for job in self.jobs}
        start = clock()
        self.next_run = {job.name: start + self.every[job.name] for job in self.jobs}

    def run_due(self) -> float:
        """Run every due job; return the seconds until the next one is due."""
        for job in self.jobs:
            if self.clock() >= self.next_run[job.name]:
                self.run(job)
                self.next_run[job.name] = self.clock() + self.every[job.name]
        return max(0.0, min(self.next_run.values(), default=self.clock() + 60) - self.clock())

    def run(self, job: Job) -> bool:
        try:
            with self.app.app_context():
                try:
                    job.run(self.bot)
                    db.session.commit()
                except BaseException:
                    db.session.rollback()
                    raise
        except Exception as exc:  # noqa: BLE001 - the database may be down: next time
            log.error("Job %r failed (%s); next run in %.0f s", job.name, describe(exc), self.every[job.name])
            return False
        if self.after_each is not None:
            self.after_each()
        return True
