"""The outbox sender: delivers the Notification rows the web app writes, within Telegram's limits.

- Paced: at most NOTIFY_RATE messages a second overall (Telegram allows about 30)
  and one a second per chat; a 429 pauses all sending for its retry_after.
- In order per chat: only a chat's oldest pending row is ever sent.
- Network errors and 5xx are retried with exponential backoff (next_attempt_at);
  permanent errors (the user blocked the bot, chat not found) mark the row failed
  with last_error.
- Rows wait in the database while the worker is down, so nothing is lost; while
  the database is down, a send's outcome waits to be recorded, so nothing is sent twice.
"""
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import timedelta

from sqlalchemy import func, select, update

from app.bot.backoff import Backoff
from app.bot.sender import FLOOD, PERMANENT, classify, describe, retry_after
from app.bot.updates import is_stale_connection, is_unavailable
from app.extensions import db
from app.models import Notification, utcnow

log = logging.getLogger(__name__)

PER_CHAT_INTERVAL = 1.0
MAX_ATTEMPTS = 20  # with the backoff below: about three hours of an unreachable Telegram
MAX_BACKOFF = 15 * 60
BATCH = 100
SEND_THREADS = 4  # overlap Telegram's latency; the pacer still decides when each send starts
TELEGRAM_TEXT_MAX = 4096


def backoff_seconds(attempts: int) -> float:
    return float(min(2 ** attempts, MAX_BACKOFF))


class Pacer:
    """When the next send may start: a global rate, a per-chat interval, a pause after 429."""

    def __init__(self, rate: float, per_chat: float = PER_CHAT_INTERVAL, clock=time.monotonic):
        self.interval = 1.0 / max(rate, 0.001)
        self.per_chat = per_chat
        self.clock = clock
        self.next_slot = 0.0
        self.paused_until = 0.0
        self.chat_free_at: dict[int, float] = {}
        self.lock = threading.Lock()

    def chat_ready(self, chat_id: int) -> bool:
        return self.chat_wait(chat_id) <= 0

    def chat_wait(self, chat_id: int) -> float:
        """Seconds until this chat may be written to again (0 or less: now)."""
        with self.lock:
            return self.chat_free_at.get(chat_id, 0.0) - self.clock()

    def reserve(self, chat_id: int) -> float:
        """Book the next slot for this chat; return how long to wait before sending."""
        with self.lock:
            now = self.clock()
            start = max(now, self.next_slot, self.paused_until, self.chat_free_at.get(chat_id, 0.0))
            self.next_slot = start + self.interval
            self.chat_free_at[chat_id] = start + self.per_chat
            if len(self.chat_free_at) > 10000:  # forget chats that are long free again
                self.chat_free_at = {c: t for c, t in self.chat_free_at.items() if t > now}
            return start - now

    def pause(self, seconds: float) -> None:
        with self.lock:
            self.paused_until = max(self.paused_until, self.clock() + seconds)

    def pause_left(self) -> float:
        with self.lock:
            return max(0.0, self.paused_until - self.clock())


class OutboxSender(threading.Thread):
    def __init__(self, app, bot, stop: threading.Event, rate: float = 25, interval: float = 1.0):
        super().__init__(name="outbox", daemon=True)
        self.app = app
        self.bot = bot
        self.stop = stop
        self.interval = interval
        self.pacer = Pacer(rate)
        self.chats_free_in: float | None = None  # set by due(): when a skipped chat may be written to
        self.pool = ThreadPoolExecutor(max_workers=SEND_THREADS, thread_name_prefix="outbox-send")

    def run(self) -> None:
        failed, backoff = False, Backoff(5.0, factor=1.0, cap=5.0)  # every 5 s: rows wait in the table
        while not self.stop.is_set():
            try:
                sent = self.run_once()
                failed = False
            except Exception as exc:  # noqa: BLE001 - e.g. the database is down: try again later
                if is_stale_connection(exc) and not failed:  # the pool reconnects: try again at once
                    failed = True
                    continue
                failed = True
                log.error("Outbox: cannot read notifications (%s); retrying in %.0f s", describe(exc), backoff.delay)
                backoff.wait(self.stop)
                continue
            if not sent:  # nothing due, or only chats written to a moment ago
                self.stop.wait(min(self.interval, self.chats_free_in or self.interval))
        self.pool.shutdown(wait=True)

    def due(self) -> list:
        """The oldest pending row of each chat, if it is due and the chat may be written to now."""
        with self.app.app_context():
            oldest = (select(func.min(Notification.id)).where(Notification.status == "pending")
                      .group_by(Notification.chat_id))
            rows = db.session.execute(
                select(Notification.id, Notification.chat_id, Notification.text, Notification.attempts)
                .where(Notification.id.in_(oldest), Notification.next_attempt_at <= utcnow())
                .order_by(Notification.id).limit(BATCH)
            ).all()
        ready, self.chats_free_in = [], None
        for row in rows:
            wait_s = self.pacer.chat_wait(row.chat_id)
            if wait_s <= 0:
                ready.append(row)
            else:
                self.chats_free_in = min(self.chats_free_in or wait_s, wait_s)
        return ready

    def run_once(self) -> int:
        """Send one round; return how many sends were started."""
        futures = []
        for row in self.due():
            if not self._wait_turn(row.chat_id):
                break
            futures.append(self.pool.submit(self.deliver, row))
        wait(futures)
        return len(futures)

    def _wait_turn(self, chat_id: int) -> bool:
        """Wait for this chat's send slot; False if the worker is stopping.

        A 429 that comes back (on another send) while we wait voids the booked slot:
        book again after the pause instead of sending into it.
        """
        while True:
            pause = self.pacer.reserve(chat_id)
            if pause > 0 and self.stop.wait(pause):
                return False
            if self.pacer.pause_left() <= 0:
                return not self.stop.is_set()

    def deliver(self, row) -> None:
        try:
            self.bot.send_message(row.chat_id, row.text[:TELEGRAM_TEXT_MAX])
        except Exception as exc:  # noqa: BLE001 - classified below
            self._failed(row, exc)
        else:
            self._save(row.id, status="sent", sent_at=utcnow(), attempts=row.attempts + 1, last_error="")

    def _failed(self, row, exc: BaseException) -> None:
        kind, error = classify(exc), describe(exc)
        attempts = row.attempts + 1
        if kind == FLOOD:
            wait_s = retry_after(exc)
            self.pacer.pause(wait_s)
            log.warning("Outbox: Telegram asks to slow down for %.0f s", wait_s)
            self._save(row.id, next_attempt_at=utcnow() + timedelta(seconds=wait_s), last_error=error)
        elif kind == PERMANENT or attempts >= MAX_ATTEMPTS:
            log.warning("Outbox: notification %s to chat %s failed for good: %s", row.id, row.chat_id, error)
            self._save(row.id, status="failed", attempts=attempts, last_error=error)
        else:
            delay = backoff_seconds(attempts)
            log.info("Outbox: notification %s not sent (%s); retry in %.0f s", row.id, error, delay)
            self._save(row.id, attempts=attempts, last_error=error,
                       next_attempt_at=utcnow() + timedelta(seconds=delay))

    def _save(self, notification_id: int, **values) -> None:
        """Record a send's outcome, retrying while the database is unavailable.

        A message already sent must be marked sent, or it would go out again: so this
        waits for the database (run_once waits for it too, so nothing is picked twice).
        Only a stopping worker (or an error that waiting cannot cure) gives up.
        """
        backoff, failed = Backoff(0.5, cap=30.0), False
        while True:
            try:
                with self.app.app_context():
                    db.session.execute(update(Notification).where(Notification.id == notification_id)
                                       .values(**values))
                    db.session.commit()
                if failed:
                    log.warning("Outbox: database available again; notification %s recorded", notification_id)
                return
            except Exception as exc:  # noqa: BLE001
                if self.stop.is_set() or not is_unavailable(exc):
                    log.error("Outbox: notification %s not recorded (%s); it may be sent again",
                              notification_id, describe(exc))
                    return
                failed = True
                log.error("Outbox: cannot record notification %s (%s); retrying in %.1f s",
                          notification_id, describe(exc), backoff.delay)
                backoff.wait(self.stop)  # stopping meanwhile: one last try all the same
