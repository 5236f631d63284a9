"""«Профиль»: every staff member's own name and password."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from app.auth import bp, login_throttle
from app.auth.forms import ProfileForm
from app.auth.sessions import keep_signed_in
from app.extensions import db
from app.models import StaffUser


def _current_password_ok(form: ProfileForm, user: StaffUser) -> bool:
    """A new password needs the current one, checked like a sign-in: failures are counted and
    throttled, so a session left open is no way to guess the password."""
    name = user.login.lower()
    if not form.current_password.data:
        form.current_password.errors.append("Введите текущий пароль, чтобы сменить его.")
        return False
    refusal = login_throttle.refusal(name)
    if refusal:
        form.current_password.errors.append(refusal)
        return False
    if not user.check_password(form.current_password.data):
        login_throttle.record_failure(name)
        db.session.commit()
        form.current_password.errors.append("Неверный текущий пароль.")
        return False
    return True


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    """Change one's name or password; a new password signs out every other browser of the user."""
    user = current_user._get_current_object()  # the model itself: login_user must not get the proxy
    form = ProfileForm(obj=user)
    if form.validate_on_submit() and (not form.password.data or _current_password_ok(form, user)):
        user.full_name = form.full_name.data
        if form.password.data:
            user.set_password(form.password.data)
        db.session.commit()
        if form.password.data:
            keep_signed_in(user)
            flash("Пароль изменён. В других браузерах и на других устройствах нужно войти заново.", "success")
        else:
            flash("Изменения сохранены.", "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form)
