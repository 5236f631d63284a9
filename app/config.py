"""Configuration read from the environment (and `.env`, loaded by the factory)."""
import os
import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def normalise_database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _chat_id(name: str) -> int | None:
    """A Telegram chat id (a group's is negative), or None when the setting is empty."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    if not re.fullmatch(r"-?[0-9]{1,20}", value):
        raise ValueError(f"{name}={value!r} is not a Telegram chat id: write a number such as -1001234567890")
    return int(value)


def _file_store(name: str) -> str:
    value = os.environ.get(name, "").strip().lower() or "database"
    if value not in ("database", "directory"):
        raise ValueError(f"{name}={value!r}: write database (files in the database) or directory (under STORAGE_DIR)")
    return value


def _web_url(name: str) -> str:
    """The web app's address as staff open it (https://zhkh.example.ru), without a trailing slash; ""."""
    value = os.environ.get(name, "").strip().rstrip("/")
    if value and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise ValueError(f"{name}={value!r} is not a web address: write one such as https://zhkh.example.ru")
    return value


class Config:
    def __init__(self, **overrides):
        instance = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))
        self.INSTANCE_PATH = str(instance)
        self.SECRET_KEY = os.environ.get("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'app.db'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # SQLite: how long a writer waits for another one before "database is locked".
        self.SQLITE_BUSY_TIMEOUT_MS = _int("SQLITE_BUSY_TIMEOUT_MS", 15000)
        self.STORAGE_DIR = os.environ.get("STORAGE_DIR") or str(instance / "storage")
        # Where new files go (app.services.storage): the database, which every machine reaches, or
        # STORAGE_DIR; files already kept in either are read from where they are.
        self.FILE_STORE = _file_store("FILE_STORE")
        # A running export whose process has not beaten for this long died with it (app.journal.export).
        self.EXPORT_STALE_SECONDS = _int("EXPORT_STALE_SECONDS", 120)
        self.TELEGRAM_BOT_TOKEN = os.environ.get("TELEGRAM_BOT_TOKEN", "")
        self.TELEGRAM_API_URL = os.environ.get("TELEGRAM_API_URL", "")
        # Seconds to wait for a Bot API answer (getUpdates: half of it, at least 5, beyond its long poll).
        self.TELEGRAM_TIMEOUT = _int("TELEGRAM_TIMEOUT", 20)
        self.BINDINGS_PER_ACCOUNT = _int("BINDINGS_PER_ACCOUNT", 10)
        # Identification throttle: at most N wrong attempts per window per Telegram user.
        self.IDENT_MAX_ATTEMPTS = _int("IDENT_MAX_ATTEMPTS", 5)
        self.IDENT_WINDOW_SECONDS = _int("IDENT_WINDOW_SECONDS", 15 * 60)
        # Bot worker: long-poll timeout, handler threads, outbox pacing (Telegram allows ~30 msg/s).
        self.BOT_POLL_TIMEOUT = _int("BOT_POLL_TIMEOUT", 25)
        self.BOT_THREADS = _int("BOT_THREADS", 8)
        self.BOT_HEARTBEAT_SECONDS = _int("BOT_HEARTBEAT_SECONDS", 30)
        self.NOTIFY_RATE = _int("NOTIFY_RATE", 25)
        self.NOTIFY_INTERVAL_MS = _int("NOTIFY_INTERVAL_MS", 1000)
        # Web login throttle, failed attempts per window: per (login, address) pair, so one person's
        # typos lock out only themselves; much higher per address and per login name, so neither
        # one address trying many logins nor many addresses trying one login go unchecked.
        self.LOGIN_MAX_ATTEMPTS = _int("LOGIN_MAX_ATTEMPTS", 5)
        self.LOGIN_MAX_ATTEMPTS_PER_ADDRESS = _int("LOGIN_MAX_ATTEMPTS_PER_ADDRESS", 50)
        self.LOGIN_MAX_ATTEMPTS_PER_LOGIN = _int("LOGIN_MAX_ATTEMPTS_PER_LOGIN", 20)
        self.LOGIN_WINDOW_SECONDS = _int("LOGIN_WINDOW_SECONDS", 15 * 60)
        # Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed.
        self.TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", "")
        # Monitoring (app.health): who may read /metrics (addresses or networks, comma-separated;
        # empty: nobody), and how long a message other than an announcement may wait in the
        # outbox before /healthz reports the sender stuck.
        self.METRICS_ALLOWED = os.environ.get("METRICS_ALLOWED", "")
        self.OUTBOX_STUCK_SECONDS = _int("OUTBOX_STUCK_SECONDS", 600)
        # Uploads: the largest file a form takes (a bigger one is refused by the form, which keeps what was
        # typed), and the largest request read at all: anything bigger is refused unread, by waitress too
        # (wsgi.py), so the room between the two is where a too-big file still gets its form back.
        self.MAX_UPLOAD_BYTES = _int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
        self.MAX_CONTENT_LENGTH = _int("MAX_REQUEST_BYTES", 5 * self.MAX_UPLOAD_BYTES)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "") == "1"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        # The journal asks this often whether requests matching its filters have arrived.
        # IANA time zone of the company: dates on screens, in the bot and in exports, and the
        # day boundaries of the journal's date filters (app.timezone).
        self.TIMEZONE = os.environ.get("TIMEZONE") or "Europe/Moscow"
        self.JOURNAL_NEWS_POLL_SECONDS = _int("JOURNAL_NEWS_POLL_SECONDS", 30)
        # Days a resident has to answer «Проблема решена?» before a done request closes by itself.
        self.CONFIRM_DAYS = _int("CONFIRM_DAYS", 3)
        # The staff's Telegram chat (app.services.requests.staff_alerts): emergencies, overdue requests (checked
        # every STAFF_ALERT_SECONDS) and a digest at STAFF_DIGEST_HOUR local time; empty: nothing is sent.
        self.STAFF_CHAT_ID = _chat_id("STAFF_CHAT_ID")
        self.STAFF_DIGEST_HOUR = _int("STAFF_DIGEST_HOUR", 8)
        self.STAFF_ALERT_SECONDS = _int("STAFF_ALERT_SECONDS", 60)
        # How often the worker checks whether meter reminders and verification notices are due
        # (app.services.meters.reminders; each goes out once, whatever the period).
        self.METER_JOB_SECONDS = _int("METER_JOB_SECONDS", 600)
        # The web app's address as staff open it: the staff chat's alerts link to the request; empty: no link.
        self.WEB_URL = _web_url("WEB_URL")
        self.WTF_CSRF_TIME_LIMIT = None  # a dispatcher keeps a tab open all day
        self.TESTING = False
        for key, value in overrides.items():
            setattr(self, key, value)
