from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select

from app.auth import bp, login_throttle
from app.auth.forms import LoginForm
from app.extensions import db
from app.models import StaffUser


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never redirect to another host after login."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("journal.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in; failed attempts are throttled (app/auth/login_throttle.py)."""
    if current_user.is_authenticated:
        return redirect(url_for("journal.index"))
    form = LoginForm()
    if form.validate_on_submit():
        name = form.login.data.strip().lower()
        refusal = login_throttle.refusal(name)
        if refusal:
            form.login.errors.append(refusal)
            return render_template("auth/login.html", form=form), 429
        user = db.session.execute(
            select(StaffUser).where(func.lower(StaffUser.login) == name)
        ).scalar_one_or_none()
        if user is None or not user.check_password(form.password.data) or not user.active:
            login_throttle.record_failure(name)
            db.session.commit()
            form.password.errors.append("Неверный логин или пароль.")
            return render_template("auth/login.html", form=form), 200
        login_throttle.forget_failures(name)
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
