"""Processing updates: concurrently across users, strictly in order per user, once each.

- A batch from getUpdates is grouped by user; each group runs on a pool thread in
  arrival order, so one user's messages never overtake each other while different
  users are served in parallel.
- Each update is one short transaction: the handler's writes, the dialog state and
  a ProcessedUpdate row commit together. Telegram delivers at least once; a replayed
  update collides with its ProcessedUpdate row at commit and is rolled back unsent.
- Telegram calls are made after the commit (see dialog.Turn).
- If the database is unavailable the update is retried with backoff until it is
  back, so it is not lost: the error is logged and the user told once. A pooled
  connection the server had closed is retried at once on a fresh one. Any other
  error rolls back, is logged, and the user gets an apology: nothing raises out
  of here and kills the worker.
"""
import contextlib
import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor, wait

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from app.bot import dialog, transport
from app.bot.backoff import Backoff
from app.bot.sender import PERMANENT, call_with_retries, classify, describe
from app.extensions import db
from app.models import ProcessedUpdate, utcnow
from app.services.statistics import bot_metrics
from app.services.messaging import outbox
from app.telegram import common

log = logging.getLogger(__name__)

# Built once: the table, not the class, so a plain INSERT skips the ORM bulk-insert machinery;
# a prebuilt statement also skips building and cache-keying it again (~35 µs per update).
MARK_PROCESSED = insert(ProcessedUpdate.__table__)
# A turn's calls (dialog.Call: TeleBot's method names) as Bot API methods: made through
# transport.call, as nobody reads their answers (telebot would build objects from them).
API_METHODS = {"send_message": "sendMessage", "edit_message_text": "editMessageText",
               "edit_message_reply_markup": "editMessageReplyMarkup"}


def is_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached or stayed locked: worth retrying the whole update."""
    return isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def is_stale_connection(exc: BaseException) -> bool:
    """A pooled connection the server had dropped (restart, idle timeout, network blip).

    The worker's pool does not ping before each checkout (a round trip per update);
    SQLAlchemy invalidates the whole pool on such an error, so one retry reconnects.
    """
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def owner(update) -> int:
    """Whose update it is: updates of one owner are handled one after another."""
    if update.message is not None:
        message = update.message
        return message.from_user.id if message.from_user is not None else message.chat.id
    if update.callback_query is not None:
        return update.callback_query.from_user.id
    return -update.update_id


def api_params(kwargs: dict) -> dict:
    """A call's keyword arguments as the Bot API takes them: a telebot keyboard as its dict where it
    has one (the request's JSON body holds it as an object, encoded once), else as its JSON."""
    markup = kwargs.get("reply_markup")
    if markup is not None and not isinstance(markup, (str, dict)):
        return {**kwargs, "reply_markup": markup.to_dict() if hasattr(markup, "to_dict") else markup.to_json()}
    return kwargs


class Dispatcher:
    def __init__(self, app, bot, threads: int = 8, stop: threading.Event | None = None, on_queued=None):
        self.app = app
        self.bot = bot
        self.stop = stop or threading.Event()
        self.on_queued = on_queued  # called once a turn's outbox rows are committed (wakes the sender)
        self.pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="update",
                                       initializer=self._init_thread)
        # SQLite has one writer at a time and makes a waiting writer sleep in steps of 1-100 ms;
        # taking turns on a Python lock instead keeps the file busy. Servers lock rows: no need.
        self.db_turn = threading.Lock() if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") \
            else contextlib.nullcontext()

    def process_batch(self, updates) -> None:
        groups: OrderedDict[int, list] = OrderedDict()
        for update in updates:
            groups.setdefault(owner(update), []).append(update)
        wait([self.pool.submit(self._process_group, group) for group in groups.values()])

    def _init_thread(self) -> None:
        """Each pool thread keeps one app context (and so one session) for its whole life."""
        self.app.app_context().push()

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _process_group(self, updates) -> None:
        for update in updates:
            started = time.monotonic()
            self.process(update)
            bot_metrics.UPDATES.record(time.monotonic() - started)  # /metrics: handled, and how long

    def process(self, update) -> None:
        """Handle one update to the end; never raises."""
        backoff, told, failures = Backoff(1.0, cap=30.0), False, 0
        while True:
            try:
                turn = self._handle(update)
                break
            except Exception as exc:  # noqa: BLE001
                if not is_unavailable(exc):
                    log.exception("Update %s failed outside its handler", update.update_id)
                    return
                failures += 1
                if failures == 1 and is_stale_connection(exc):  # the pool has dropped its connections
                    log.warning("Database connection lost while handling update %s (%s); reconnecting",
                                update.update_id, describe(exc))
                    continue
                log.error("Database unavailable while handling update %s (%s); retrying in %.0f s",
                          update.update_id, describe(exc), backoff.delay)
                if not told:
                    self._tell(update, common.DB_UNAVAILABLE)
                    told = True
                if not backoff.wait(self.stop):
                    log.warning("Shutting down: update %s is left for redelivery", update.update_id)
                    return
        if told:
            log.warning("Database available again: update %s handled after %d attempts",
                        update.update_id, failures + 1)
        if turn is not None:
            self._deliver(turn)

    def _handle(self, update):
        """Run the handlers inside one transaction; return the Turn to deliver, None if a replay."""
        with self.db_turn:
            try:
                turn = self._new_turn(update)
                dialog.begin(turn)
                self.bot.current_states.begin_update()
                try:
                    self.bot.process_new_updates([update])
                except Exception as exc:  # noqa: BLE001
                    if is_unavailable(exc):
                        raise
                    log.exception("Handler failed on update %s", update.update_id)
                    db.session.rollback()
                    turn = self._apology(update)
                try:
                    self._mark_processed(update)
                    db.session.commit()
                except Exception as exc:  # noqa: BLE001
                    if is_unavailable(exc):
                        raise
                    db.session.rollback()
                    if isinstance(exc, IntegrityError) and \
                            db.session.get(ProcessedUpdate, update.update_id) is not None:
                        log.info("Update %s was already processed; skipped", update.update_id)
                        return None  # a replay: whatever the handlers did is rolled back
                    log.exception("Update %s could not be saved; rolled back", update.update_id)
                    turn = self._apology(update)
                    self._mark_processed(update)
                    db.session.commit()
                return turn
            except Exception:
                db.session.rollback()
                raise
            finally:
                dialog.end()
                db.session.close()

    @staticmethod
    def _mark_processed(update) -> None:
        # On the session's connection: the update's own transaction, without the ORM's per-call work.
        db.session.connection().execute(MARK_PROCESSED, {"update_id": update.update_id, "processed_at": utcnow()})

    def _new_turn(self, update) -> dialog.Turn:
        if update.message is not None:
            message = update.message
            user_id = message.from_user.id if message.from_user is not None else message.chat.id
            return dialog.Turn(self.bot, user_id, message.chat.id)
        if update.callback_query is not None:
            call = update.callback_query
            chat_id = call.message.chat.id if call.message is not None else call.from_user.id
            return dialog.Turn(self.bot, call.from_user.id, chat_id, callback_id=call.id)
        return dialog.Turn(self.bot, 0, 0)

    def _apology(self, update) -> dialog.Turn:
        turn = self._new_turn(update)
        if turn.chat_id:
            turn.send(common.ERROR)
        return turn

    def _deliver(self, turn: dialog.Turn) -> None:
        """Make the queued Telegram calls, then the slow after-work (photo downloads)."""
        if turn.queued and self.on_queued is not None:
            self.on_queued()
        for call in turn.calls:
            try:
                call_with_retries(transport.call, self.bot.token, API_METHODS[call.method], api_params(call.kwargs),
                                  stop=self.stop)
            except Exception as exc:  # noqa: BLE001
                if call.method == "send_message" and classify(exc) != PERMANENT:
                    self._to_outbox(call.kwargs["chat_id"], call.kwargs["text"], call.kwargs.get("reply_markup"))
                else:
                    log.info("Telegram %s to chat %s not done: %s", call.method, turn.chat_id, describe(exc))
        if turn.callback_id is not None:
            try:
                call_with_retries(transport.call, self.bot.token, "answerCallbackQuery",
                                  {"callback_query_id": turn.callback_id, "text": turn.callback_text},
                                  stop=self.stop, attempts=2)
            except Exception as exc:  # noqa: BLE001 - a toast is not worth more
                log.info("answerCallbackQuery failed: %s", describe(exc))
        for work in turn.after:
            with self.app.app_context():
                try:
                    work()
                except Exception:  # noqa: BLE001
                    log.exception("After-work of a turn failed (it is retried by maintenance)")

    def _to_outbox(self, chat_id: int, text: str, markup) -> None:
        """Telegram kept failing: the outbox sender delivers the reply later."""
        try:
            with self.app.app_context():
                outbox.queue(chat_id, text, kind="reply", buttons=markup)
                db.session.commit()
            if self.on_queued is not None:
                self.on_queued()
            log.warning("Reply to chat %s queued in the outbox after repeated failures", chat_id)
        except Exception:  # noqa: BLE001
            log.exception("Reply to chat %s lost: Telegram and the database both failed", chat_id)

    def _tell(self, update, text: str) -> None:
        """Best effort, without the database: a note that the message will be handled later."""
        turn = self._new_turn(update)
        if not turn.chat_id:
            return
        try:
            self.bot.send_message(turn.chat_id, text)
        except Exception as exc:  # noqa: BLE001
            log.info("Could not tell chat %s about the outage: %s", turn.chat_id, describe(exc))
