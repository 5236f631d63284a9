"""Staff users (administrators and dispatchers): administrators only."""
from flask import render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app.admin import bp
from app.admin.common import admin_required, done, paginate, render_list, search_term
from app.database import contains_ci
from app.admin.forms import StaffUserForm
from app.auth.sessions import keep_signed_in
from app.extensions import db
from app.models import Request, RequestEvent, StaffUser
from app.models.staff import ROLE_ADMIN, ROLE_CHOICES

LAST_ADMIN = "В системе должен остаться хотя бы один активный администратор."



def _other_active_admins(user_id: int | None) -> int:
    return db.session.execute(
        select(func.count()).select_from(StaffUser)
        .where(StaffUser.role == ROLE_ADMIN, StaffUser.active, StaffUser.id != (user_id or 0))
    ).scalar_one()


@bp.route("/users")
@admin_required
def users():
    """Staff users list with search and pagination."""
    term = search_term()
    stmt = select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.login)
    if term:
        stmt = stmt.where(or_(contains_ci(StaffUser.login, term), contains_ci(StaffUser.full_name, term)))
    role = request.args.get("role", "")
    if role in dict(ROLE_CHOICES):
        stmt = stmt.where(StaffUser.role == role)
    page = paginate(stmt)
    return render_list("admin/users/index.html", "admin/users/_table.html", page=page, q=term,
                       roles=ROLE_CHOICES)


def _check(form: StaffUserForm, user: StaffUser | None) -> bool:
    """Unique login; nobody locks themselves out; some active administrator always remains."""
    ok = True
    taken = db.session.execute(
        select(StaffUser.id).where(func.lower(StaffUser.login) == form.login.data.lower(),
                                   StaffUser.id != (user.id if user else 0))
    ).first()
    if taken:
        form.login.errors.append("Такой логин уже есть.")
        ok = False
    if user is not None and user.id == current_user.id and not form.active.data:
        form.active.errors.append("Нельзя отключить собственную учётную запись.")
        ok = False
    stays_admin = form.role.data == ROLE_ADMIN and form.active.data
    if user is not None and not stays_admin and _other_active_admins(user.id) == 0:
        form.role.errors.append(LAST_ADMIN)
        ok = False
    return ok


def _apply(form: StaffUserForm, user: StaffUser) -> bool:
    user.login = form.login.data
    user.full_name = form.full_name.data
    user.role = form.role.data
    user.active = form.active.data
    if form.password.data:
        user.set_password(form.password.data)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.login.errors.append("Такой логин уже есть.")
        return False
    if form.password.data and user.id == current_user.id:
        keep_signed_in(user)  # their other sessions end, this one stays
    return True


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def users_new():
    """Create a staff user."""
    form = StaffUserForm(new_user=True)
    if form.validate_on_submit() and _check(form, None):
        user = StaffUser()
        if _apply(form, user):
            return done(url_for("admin.users"), f"Пользователь «{user.login}» создан.")
    return render_template("admin/users/form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def users_edit(user_id: int):
    """Edit a staff user: name, role, access, password."""
    obj = db.get_or_404(StaffUser, user_id)
    form = StaffUserForm(obj=obj)
    if form.validate_on_submit() and _check(form, obj):
        if _apply(form, obj):
            if obj.id == current_user.id and not obj.is_admin:  # demoted themselves
                return done(url_for("journal.index"), "Вы больше не администратор.", "warning")
            return done(url_for("admin.users"), "Изменения сохранены.")
    return render_template("admin/users/form.html", form=form, user=obj)


@bp.route("/users/<int:user_id>/delete", methods=["POST"])
@admin_required
def users_delete(user_id: int):
    """Delete a staff user who never worked with requests (otherwise: deactivate)."""
    obj = db.get_or_404(StaffUser, user_id)
    back = url_for("admin.users_edit", user_id=obj.id)
    if obj.id == current_user.id:
        return done(back, "Нельзя удалить собственную учётную запись.", "danger")
    worked = db.session.execute(select(
        select(RequestEvent.id).where(RequestEvent.actor_id == obj.id).exists()
        | select(Request.id).where(Request.created_by_id == obj.id).exists()
    )).scalar_one()
    if worked:
        return done(back, f"Пользователь «{obj.login}» уже работал с заявками, и его имя есть в истории — "
                          "удалить его нельзя. Снимите флажок «Активен», чтобы закрыть ему вход.", "danger")
    if obj.is_admin and obj.active and _other_active_admins(obj.id) == 0:
        return done(back, LAST_ADMIN, "danger")
    login_name = obj.login
    db.session.delete(obj)
    db.session.commit()
    return done(url_for("admin.users"), f"Пользователь «{login_name}» удалён.")
