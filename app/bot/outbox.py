"""The outbox sender: delivers the Notification rows (app.services.messaging.outbox) within Telegram's limits.

- Paced: at most NOTIFY_RATE messages a second overall (Telegram allows about 30)
  and one a second per chat; a 429 pauses all sending for its retry_after.
- By priority: each round takes the due rows with the lowest priority values first, and a
  round lasts about half a second, so a request's message queued during a big announcement
  goes out in the next round (within 2 s even when a 429 pauses sending for a second).
- In order per chat: a chat's row is sent only when no earlier row of that chat (by
  priority, then age) is pending.
- Text, or a photo from the file store (app.services.storage) with the text as caption (its Telegram file id is
  remembered, so an announcement's photo is uploaded once), or a photo Telegram already
  holds (a resident's, passed on to an executor by its file id), with the row's buttons.
- Network errors and 5xx are retried with exponential backoff (next_attempt_at);
  permanent errors mark the row failed with why (the resident blocked the bot, the
  chat is gone) and last_error.
- Claimed right before the send (pending -> sending, in one UPDATE that only a still pending
  row passes): a row staff cancelled after the round read it is not sent.
- Rows wait in the database while the worker is down, so nothing is lost; a row a killed
  worker left `sending` is sent again at the next start (at least once). While the database
  is down, a send's outcome waits to be recorded, so nothing is sent twice.
"""
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import timedelta

from sqlalchemy import and_, bindparam, case, exists, or_, select, update

from app.bot.backoff import Backoff
from app.bot.sender import FLOOD, PERMANENT, classify, describe, failure, retry_after
from app.bot.updates import is_stale_connection, is_unavailable
from app.extensions import db
from app.models import Announcement, Notification, utcnow
from app.services.messaging.outbox import CANCELLED, FAILED, PENDING, REPLY, SENDING, SENT, TELEGRAM_FILE, WAITING
from app.services import storage
from app.telegram.limits import MESSAGE_TEXT_MAX

log = logging.getLogger(__name__)

# The round's query, built once: the sender asks it after every reply that queued a row, and
# building it (an aliased table, an EXISTS) cost more than running it.
_ROW, _EARLIER = Notification.__table__, Notification.__table__.alias("earlier")
DUE = (
    select(_ROW.c.id, _ROW.c.chat_id, _ROW.c.text, _ROW.c.attempts, _ROW.c.photo, _ROW.c.buttons, _ROW.c.priority)
    .where(_ROW.c.status == PENDING, _ROW.c.next_attempt_at <= bindparam("now"),
           ~exists().where(  # an earlier row of the same chat still waits: this one waits too
               _EARLIER.c.chat_id == _ROW.c.chat_id, _EARLIER.c.status.in_(WAITING),
               or_(_EARLIER.c.priority < _ROW.c.priority,
                   and_(_EARLIER.c.priority == _ROW.c.priority, _EARLIER.c.id < _ROW.c.id))))
    .order_by(_ROW.c.priority, _ROW.c.id).limit(bindparam("limit"))
)
# A send's two writes as Core statements on the table: through the ORM's bulk UPDATE path
# they cost several times the statement itself, twice for every message sent.
CLAIM = update(_ROW).where(_ROW.c.id == bindparam("row_id"), _ROW.c.status == PENDING).values(status=SENDING)
# A row to be retried goes back to pending, unless its notice was stopped while it was being sent
# (it was not pending then, so the stop could not cancel it).
AGAIN = case((exists().where(Announcement.__table__.c.id == _ROW.c.announcement_id,
                             Announcement.__table__.c.cancelled_at.is_not(None)), CANCELLED), else_=PENDING)

PER_CHAT_INTERVAL = 1.0
MAX_ATTEMPTS = 20  # with the backoff below: about three hours of an unreachable Telegram
MAX_BACKOFF = 15 * 60
SEND_THREADS = 4  # overlap Telegram's latency; the pacer still decides when each send starts


class PhotoMissing(Exception):
    """The row's photo is not in the file store (deleted, or a path outside STORAGE_DIR)."""


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

    def reserve(self, chat_id: int, paced: bool = True) -> float:
        """Book the next slot for this chat; return how long to wait before sending.

        Not `paced`: a reply to a resident who just wrote goes out as soon as no 429 holds
        everything, as the bot's direct replies do; it does not use up the rate's slots.
        """
        with self.lock:
            now = self.clock()
            if not paced:
                return max(0.0, self.paused_until - now)
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
        self.round_size = max(5, int(rate) // 2)  # half a second of sending: then urgent rows are looked for
        self.chats_free_in: float | None = None  # set by due(): when a skipped chat may be written to
        self.pool = ThreadPoolExecutor(max_workers=SEND_THREADS, thread_name_prefix="outbox-send")
        self.idle_threads = threading.Semaphore(SEND_THREADS)
        self.wakeup = threading.Event()
        self.file_ids: dict[str, str] = {}  # photo reference -> Telegram's file id, once uploaded
        self.upload_lock = threading.Lock()
        self.resumed = False  # rows a killed worker left `sending` are pending again

    def wake(self) -> None:
        """Rows were just committed (a bot reply): look now rather than at the next interval."""
        self.wakeup.set()

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
                self.wakeup.wait(min(self.interval, self.chats_free_in or self.interval))
                self.wakeup.clear()
        self.pool.shutdown(wait=True)

    def due(self) -> list:
        """Each chat's next pending row, if it is due and the chat may be written to now;
        lower priority values first, then the oldest."""
        with self.app.app_context():
            rows = db.session.connection().execute(
                DUE, {"now": utcnow(), "limit": self.round_size}).all()
        ready, self.chats_free_in = [], None
        for row in rows:
            wait_s = self.pacer.chat_wait(row.chat_id)
            if wait_s <= 0:
                ready.append(row)
            else:
                self.chats_free_in = min(self.chats_free_in or wait_s, wait_s)
        return ready

    def resume(self) -> None:
        """Once, before the first round: a row left `sending` by a worker that was killed mid-send may or
        may not have reached Telegram; it goes again (at least once, never lost)."""
        with self.app.app_context():
            resumed = db.session.execute(update(Notification).where(Notification.status == SENDING)
                                         .values(status=PENDING)).rowcount
            db.session.commit()
        if resumed:
            log.warning("Outbox: %s notification(s) interrupted by the last stop will be sent again", resumed)
        self.resumed = True

    def run_once(self) -> int:
        """Send one round; return how many sends were started."""
        if not self.resumed:
            self.resume()
        futures = []
        for row in self.due():
            if not self._idle_thread():
                break
            if not self._wait_turn(row.chat_id, paced=row.priority > REPLY):
                self.idle_threads.release()
                break
            futures.append(self.pool.submit(self._deliver_on_idle_thread, row))
        wait(futures)
        return len(futures)

    def _idle_thread(self) -> bool:
        """Wait until a send thread is idle; False if the worker is stopping.

        A send is booked only when a thread can make it at once: while Telegram or the database
        holds every thread up, booked sends would queue behind them and all go out together the
        moment they are free, many more in that second than the rate allows.
        """
        while not self.idle_threads.acquire(timeout=0.5):
            if self.stop.is_set():
                return False
        return True

    def _deliver_on_idle_thread(self, row) -> None:
        try:
            self.deliver(row)
        finally:
            self.idle_threads.release()

    def _wait_turn(self, chat_id: int, paced: bool = True) -> bool:
        """Wait for this chat's send slot; False if the worker is stopping.

        A 429 that comes back (on another send) while we wait voids the booked slot:
        book again after the pause instead of sending into it.
        """
        while True:
            pause = self.pacer.reserve(chat_id, paced)
            if pause > 0 and self.stop.wait(pause):
                return False
            if self.pacer.pause_left() <= 0:
                return not self.stop.is_set()

    def claim(self, row) -> bool:
        """Take the row for its send: False if it is no longer pending (staff cancelled it since the
        round read it), then it is not sent."""
        try:
            with self.app.app_context():
                claimed = db.session.connection().execute(CLAIM, {"row_id": row.id}).rowcount
                db.session.commit()
        except Exception as exc:  # noqa: BLE001 - e.g. the database is down: the row stays pending
            log.error("Outbox: cannot claim notification %s (%s); it waits", row.id, describe(exc))
            return False
        return bool(claimed)

    def deliver(self, row) -> None:
        if not self.claim(row):
            return
        try:
            message = self._send(row)
        except PhotoMissing as exc:
            log.error("Outbox: notification %s: %s", row.id, exc)
            self._save(row.id, status=FAILED, failure="rejected", attempts=row.attempts + 1, last_error=str(exc))
        except Exception as exc:  # noqa: BLE001 - classified below
            self._failed(row, exc)
        else:
            self._save(row.id, status=SENT, sent_at=utcnow(), attempts=row.attempts + 1, last_error="",
                       telegram_message_id=message.message_id)

    def _send(self, row):
        markup = row.buttons or None  # Bot API JSON: telebot passes a string as it is
        if not row.photo:
            return self.bot.send_message(row.chat_id, row.text[:MESSAGE_TEXT_MAX], reply_markup=markup)
        if row.photo in self.file_ids or row.photo.startswith(TELEGRAM_FILE):
            photo = self.file_ids.get(row.photo) or row.photo.removeprefix(TELEGRAM_FILE)
            return self.bot.send_photo(row.chat_id, photo, caption=row.text or None, reply_markup=markup)
        with self.upload_lock:  # the first send uploads the file; sends beside it wait for its file id
            if row.photo in self.file_ids:
                photo = self.file_ids[row.photo]
            else:
                photo = self._photo_bytes(row.photo)
            message = self.bot.send_photo(row.chat_id, photo, caption=row.text or None, reply_markup=markup)
            if message.photo:
                self.file_ids[row.photo] = message.photo[-1].file_id
        return message

    def _photo_bytes(self, ref: str) -> bytes:
        with self.app.app_context():
            content = storage.read(ref)
        if content is None:
            raise PhotoMissing(f"photo {ref!r} is not in the file store")
        return content

    def _failed(self, row, exc: BaseException) -> None:
        kind, error = classify(exc), describe(exc)
        attempts = row.attempts + 1
        if kind == FLOOD:
            wait_s = retry_after(exc)
            self.pacer.pause(wait_s)
            log.warning("Outbox: Telegram asks to slow down for %.0f s", wait_s)
            self._save(row.id, status=AGAIN, next_attempt_at=utcnow() + timedelta(seconds=wait_s),
                       last_error=error)
        elif kind == PERMANENT or attempts >= MAX_ATTEMPTS:
            log.warning("Outbox: notification %s to chat %s failed for good: %s", row.id, row.chat_id, error)
            self._save(row.id, status=FAILED, attempts=attempts, last_error=error,
                       failure=failure(exc) if kind == PERMANENT else "gave_up")
        else:
            delay = backoff_seconds(attempts)
            log.info("Outbox: notification %s not sent (%s); retry in %.0f s", row.id, error, delay)
            self._save(row.id, status=AGAIN, attempts=attempts, last_error=error,
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
                    db.session.connection().execute(
                        update(_ROW).where(_ROW.c.id == notification_id).values(**values))
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
