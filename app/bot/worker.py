"""The Telegram bot worker process (`python bot_worker.py`).

Threads:
- poller: long-polls getUpdates and hands each batch to the dispatcher; the next
  getUpdates (which confirms the batch to Telegram) is only made once the batch is
  handled, so a crash loses nothing (replays are skipped by ProcessedUpdate);
- update pool (app.bot.updates): handlers, concurrent across users, ordered per user;
- outbox (app.bot.outbox): messages written by the web app and the handlers;
- jobs (app.bot.jobs): timed work: photo downloads to retry, purging old rows, ...;
- heartbeat: tells the web app the worker is alive and Telegram answers (services.bot_health).
SIGTERM / SIGINT stop it cleanly: the batch in progress is finished first.
"""
import logging
import os
import signal
import sys
import threading
from urllib.parse import urlsplit

import requests
from telebot import apihelper, types

from app.bot import transport
from app.bot.backoff import Backoff
from app.bot.bot import create_bot
from app.bot.jobs import JobRunner
from app.bot.outbox import OutboxSender
from app.bot.sender import FLOOD, classify, describe, retry_after
from app.bot.updates import Dispatcher
from app.models import utcnow
from app.services.operations import bot_health
from app.services.statistics import bot_metrics
log = logging.getLogger("app.bot")

ALLOWED_UPDATES = ["message", "callback_query"]
COMMANDS = [("start", "Начать сначала"), ("help", "Справка"), ("cancel", "Отменить действие")]


def configure_api(base_url: str, timeout: int = 20) -> None:
    """Point telebot at the Bot API server (Telegram's, or a local one for tests and the sandbox)."""
    base = (base_url or "https://api.telegram.org").rstrip("/")
    if base_url:
        apihelper.API_URL = base + "/bot{0}/{1}"
        apihelper.FILE_URL = base + "/file/bot{0}/{1}"
    apihelper.CONNECT_TIMEOUT = min(10, timeout)
    apihelper.READ_TIMEOUT = timeout
    apihelper.proxy = proxies_for(base)
    apihelper.CUSTOM_REQUEST_SENDER = transport.send


def proxies_for(url: str) -> dict | None:
    """TELEGRAM_PROXY, else the usual HTTPS_PROXY / NO_PROXY environment, decided once at start."""
    explicit = os.environ.get("TELEGRAM_PROXY")
    if explicit:
        return {"http": explicit, "https": explicit}
    if urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1"):  # a local Bot API server
        return None
    return requests.utils.get_environ_proxies(url) or None


class Worker:
    def __init__(self, app):
        self.app = app
        cfg = app.config
        self.stop = threading.Event()
        self.bot = create_bot(cfg["TELEGRAM_BOT_TOKEN"])
        self.outbox = OutboxSender(app, self.bot, self.stop, rate=cfg["NOTIFY_RATE"],
                                   interval=cfg["NOTIFY_INTERVAL_MS"] / 1000)
        self.dispatcher = Dispatcher(app, self.bot, cfg["BOT_THREADS"], self.stop, on_queued=self.outbox.wake)
        self.poll_timeout = max(0, cfg["BOT_POLL_TIMEOUT"])
        self.poll_grace = max(1, cfg["TELEGRAM_TIMEOUT"] // 2)  # how late a long poll's answer may be
        self.offset: int | None = None
        self.busy = threading.Lock()
        self.heartbeat_seconds = max(1, cfg["BOT_HEARTBEAT_SECONDS"])
        self.username = ""
        self.beat_now = threading.Event()  # a beat before the next one is due: the bot's username is known
        self.telegram_ok_at = None  # when Telegram last answered: shown to staff when it goes stale

    def request_stop(self, signum=None, frame=None) -> None:
        if self.stop.is_set():
            log.warning("Second signal: exiting immediately")
            os._exit(1)
        log.info("Signal %s received: stopping", signum)
        self.stop.set()
        self.beat_now.set()

    def run(self) -> int:
        # Beating from the start: a worker that cannot reach Telegram is reported as such.
        threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True).start()
        me = self._connect()
        if me is None:
            return 0 if self.stop.is_set() else 2
        self.username = me.username or ""
        self.beat_now.set()  # recorded now, not at the next beat: executors' invitation links name the bot
        api = (apihelper.API_URL or "https://api.telegram.org").split("/bot{0}")[0]
        log.info("Bot @%s is running (Bot API: %s)", me.username, api)
        self._best_effort(self.bot.delete_webhook)  # long polling and a webhook exclude each other
        self._best_effort(self.bot.set_my_commands, [types.BotCommand(c, d) for c, d in COMMANDS])
        threading.Thread(target=self._poll, name="poller", daemon=True).start()
        threading.Thread(target=self._run_jobs, name="jobs", daemon=True).start()
        self.outbox.start()
        while not self.stop.wait(1):
            pass
        if self.busy.acquire(timeout=60):  # let the batch in progress finish
            self.busy.release()
        self.outbox.join(timeout=30)
        self.dispatcher.shutdown()
        self._best_effort(self._flush_metrics)  # what was handled since the last beat
        log.info("Stopped")
        return 0

    def _connect(self):
        """getMe until it answers; a wrong token is fatal, a network problem is waited out."""
        backoff = Backoff(1.0, cap=30.0)
        while not self.stop.is_set():
            try:
                me = self.bot.get_me()
                self.telegram_ok_at = utcnow()
                return me
            except Exception as exc:  # noqa: BLE001
                if getattr(exc, "error_code", None) == 401:
                    log.error("Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized)")
                    return None
                log.warning("Telegram is not reachable (%s); retrying in %.0f s", describe(exc), backoff.delay)
                backoff.wait(self.stop)
        return None

    def _poll(self) -> None:
        backoff = Backoff(1.0, cap=30.0)
        while not self.stop.is_set():
            try:
                updates = self.bot.get_updates(
                    offset=self.offset, limit=100, timeout=self.poll_timeout + self.poll_grace,
                    long_polling_timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES,
                )
                self.telegram_ok_at = utcnow()
                backoff.reset()
            except Exception as exc:  # noqa: BLE001 - network, 5xx, 429, 409: wait and poll again
                wait_s = retry_after(exc) if classify(exc) == FLOOD else backoff.delay
                log.warning("getUpdates failed (%s); retrying in %.0f s", describe(exc), wait_s)
                backoff.wait(self.stop, wait_s)
                continue
            if not updates:
                continue
            with self.busy:
                if self.stop.is_set():
                    return  # not confirmed to Telegram: delivered again after the restart
                self.dispatcher.process_batch(updates)
                self.offset = max(u.update_id for u in updates) + 1

    def _heartbeat(self) -> None:
        while True:  # one thread writes the row: two first beats at once would collide on its insert
            try:
                with self.app.app_context():
                    bot_health.beat(self.username, self.telegram_ok_at)
                    bot_metrics.UPDATES.flush()  # the figures /metrics shows, on any machine
            except Exception as exc:  # noqa: BLE001 - the database may be down; beat again later
                log.warning("Heartbeat not written (%s)", describe(exc))
            self.beat_now.wait(self.heartbeat_seconds)
            self.beat_now.clear()
            if self.stop.is_set():
                return

    def _flush_metrics(self) -> None:
        with self.app.app_context():
            bot_metrics.UPDATES.flush()

    def _run_jobs(self) -> None:
        runner = JobRunner(self.app, self.bot, after_each=self.outbox.wake)
        while not self.stop.wait(min(runner.run_due(), 1.0)):
            pass

    @staticmethod
    def _best_effort(fn, *args) -> None:
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001
            log.info("%s failed: %s", getattr(fn, "__name__", "call"), describe(exc))


def main() -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from dotenv import load_dotenv

    from app import create_app
    from app.config import BASE_DIR, Config

    load_dotenv(BASE_DIR / ".env")  # as create_app does, so Config() below sees DATABASE_URL from it
    # One connection per update thread, plus the outbox senders, maintenance and after-work.
    # No ping before each checkout: on PostgreSQL that is a round trip per update (~15% of the
    # throughput). A connection the server has dropped fails its first statement instead;
    # SQLAlchemy then discards the whole pool and the dispatcher retries on a fresh one.
    cfg = Config()
    app = create_app({"SQLALCHEMY_ENGINE_OPTIONS": {
        "pool_pre_ping": False,
        "pool_size": cfg.BOT_THREADS + 8, "max_overflow": 8}})
    if not app.config["TELEGRAM_BOT_TOKEN"]:
        log.error("TELEGRAM_BOT_TOKEN is not set (environment or .env): the bot cannot start")
        return 2
    configure_api(app.config["TELEGRAM_API_URL"], app.config["TELEGRAM_TIMEOUT"])
    worker = Worker(app)
    signal.signal(signal.SIGTERM, worker.request_stop)
    signal.signal(signal.SIGINT, worker.request_stop)
    return worker.run()
