"""Failed sign-ins (the login form, the current password on the profile page), counted three ways.

One person's typos lock only their own (login, address) pair, so a colleague behind the same
address signs in as usual. An address trying many logins, and one login tried from many
addresses, are stopped by much higher limits of their own.
"""
from flask import current_app, request

from app.services.people import throttle
SCOPE = "login"


def _counters(name: str) -> dict[str, int]:
    """Counter key -> limit, for the login `name` tried from this request's address."""
    address = request.remote_addr or ""
    config = current_app.config
    return {
        f"pair:{address} {name}": config["LOGIN_MAX_ATTEMPTS"],  # an address never has a space
        f"ip:{address}": config["LOGIN_MAX_ATTEMPTS_PER_ADDRESS"],
        f"user:{name}": config["LOGIN_MAX_ATTEMPTS_PER_LOGIN"],
    }


def refusal(name: str) -> str | None:
    """Why `name` may not try a password from here now, or None when it may."""
    window = current_app.config["LOGIN_WINDOW_SECONDS"]
    if any(throttle.is_throttled(SCOPE, key, limit, window) for key, limit in _counters(name).items()):
        return f"Слишком много неудачных попыток. Подождите {window // 60} мин. и попробуйте снова."
    return None


def record_failure(name: str) -> None:
    for key in _counters(name):
        throttle.record_failure(SCOPE, key)


def forget_failures(name: str) -> None:
    """After a success the pair starts afresh. The per-address and per-login counts only run out:
    signing in to one account must not buy an address more tries at others, nor a colleague's
    sign-in buy a guesser more tries at theirs."""
    pair = next(iter(_counters(name)))
    throttle.reset(SCOPE, pair)
