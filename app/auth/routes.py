from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select

from app.auth import bp
from app.auth.forms import LoginForm
from app.extensions import db
from app.models import StaffUser
from app.services import throttle

SCOPE = "login"


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never redirect to another host after login."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("journal.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in; failed attempts are throttled per login name and per address."""
    if current_user.is_authenticated:
        return redirect(url_for("journal.index"))
    form = LoginForm()
    if form.validate_on_submit():
        name = form.login.data.strip().lower()
        keys = [f"user:{name}", f"ip:{request.remote_addr}"]
        limit = current_app.config["LOGIN_MAX_ATTEMPTS"]
        window = current_app.config["LOGIN_WINDOW_SECONDS"]
        if any(throttle.is_throttled(SCOPE, key, limit, window) for key in keys):
            form.login.errors.append(
                f"Слишком много неудачных попыток. Подождите {window // 60} мин. и попробуйте снова."
            )
            return render_template("auth/login.html", form=form), 429
        user = db.session.execute(
            select(StaffUser).where(func.lower(StaffUser.login) == name)
        ).scalar_one_or_none()
        if user is None or not user.check_password(form.password.data) or not user.active:
            for key in keys:
                throttle.record_failure(SCOPE, key)
            db.session.commit()
            form.password.errors.append("Неверный логин или пароль.")
            return render_template("auth/login.html", form=form), 200
        throttle.reset(SCOPE, keys[0])
        db.session.commit()
        login_user(user, remember=form.remember.data)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (POST with CSRF, so a link on another site cannot log a dispatcher out)."""
    logout_user()
    flash("Вы вышли из системы.", "info")
    return redirect(url_for("auth.login"))
