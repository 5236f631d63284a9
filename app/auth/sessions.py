"""Keeping this browser signed in when its own user's session token changes (a new password)."""
from flask import current_app, request
from flask_login import login_user
from flask_login.config import COOKIE_NAME


def keep_signed_in(user) -> None:
    """Sign this browser in again with the user's new token: every other session and remember-me
    cookie has ended, this one carries on, with its remember-me cookie renewed if it had one."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies
    login_user(user, remember=remembered)
