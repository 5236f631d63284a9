"""How the worker reacts to Telegram API failures: retry, wait, or give up.

Telegram answers 429 with `parameters.retry_after` when we send too fast, 5xx
when it is having trouble, and 400/403 for requests that will never succeed
(chat not found, bot blocked by the user, message not modified).
"""
import logging
import threading

import requests
from sqlalchemy.exc import DBAPIError
from telebot.apihelper import ApiException, ApiHTTPException, ApiTelegramException

from app.bot.backoff import Backoff

log = logging.getLogger(__name__)

RETRY, FLOOD, PERMANENT = "retry", "flood", "permanent"


def classify(exc: BaseException) -> str:
    if isinstance(exc, ApiTelegramException):
        if exc.error_code == 429:
            return FLOOD
        if exc.error_code in (400, 403, 404):
            return PERMANENT
        return RETRY  # 5xx, and 401/409 which are configuration trouble, not the message's
    if isinstance(exc, ApiHTTPException):
        status = getattr(exc.result, "status_code", 500)
        if status == 429:
            return FLOOD
        return PERMANENT if status in (400, 403, 404) else RETRY
    if isinstance(exc, (ApiException, requests.RequestException, ConnectionError, TimeoutError)):
        return RETRY
    return PERMANENT


def failure(exc: BaseException) -> str:
    """Why a permanent error will never deliver the message (app.services.messaging.outbox.FAILURES)."""
    text = str(getattr(exc, "description", None) or exc).lower()
    if "blocked" in text:
        return "blocked"
    if any(sign in text for sign in ("chat not found", "user is deactivated", "kicked", "user not found")):
        return "chat_gone"
    return "rejected"


def retry_after(exc: BaseException, default: float = 5.0) -> float:
    """Seconds Telegram asked us to wait (429), or `default`."""
    result_json = getattr(exc, "result_json", None) or {}
    value = (result_json.get("parameters") or {}).get("retry_after")
    if value is None:
        result = getattr(exc, "result", None)
        value = getattr(result, "headers", {}).get("Retry-After") if result is not None else None
    try:
        return max(0.0, float(value)) if value is not None else default
    except (TypeError, ValueError):
        return default


def describe(exc: BaseException) -> str:
    """One line for the log: Telegram's code and text, or the driver's own database error."""
    if isinstance(exc, ApiTelegramException):
        return f"{exc.error_code}: {exc.description}"
    if isinstance(exc, DBAPIError) and exc.orig is not None:  # not SQLAlchemy's statement dump
        exc = exc.orig
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:500]


def call_with_retries(fn, *args, stop: threading.Event | None = None, attempts: int = 5,
                      max_wait: float = 60.0, **kwargs):
    """Call a Telegram method, retrying network errors and 5xx with backoff and honouring 429.

    Raises the last error when it is permanent, when attempts run out, or when `stop` is set.
    """
    stop = stop or threading.Event()
    backoff = Backoff(0.5, cap=10.0)
    for attempt in range(1, attempts + 1):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - classified below
            kind = classify(exc)
            if kind == PERMANENT or attempt == attempts:
                raise
            wait = min(retry_after(exc), max_wait) if kind == FLOOD else backoff.delay
            log.warning("Telegram %s failed (%s); retry %d in %.1fs",
                        getattr(fn, "__name__", "call"), describe(exc), attempt, wait)
            if not backoff.wait(stop, wait):
                raise
