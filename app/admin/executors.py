"""Executors (исполнители): the people requests are assigned to."""
from flask import render_template, request, url_for
from sqlalchemy import func, or_, select

from app.admin import bp
from app.admin.common import admin_required, done, paginate, render_list, search_term
from app.database import contains_ci
from app.admin.forms import ExecutorForm
from app.extensions import db
from app.models import Executor, Request
from app.services.phones import search_digits
from app.services.statuses import OPEN
STATES = {"active": True, "inactive": False}



@bp.route("/executors")
def executors():
    """Executors list with search and pagination."""
    term = search_term()
    stmt = select(Executor).order_by(Executor.active.desc(), Executor.full_name, Executor.id)
    for word in term.split():
        digits = search_digits(word)
        options = [contains_ci(Executor.full_name, word), contains_ci(Executor.position, word)]
        if len(digits) >= 3:
            options.append(Executor.phone.contains(digits, autoescape=True))
        stmt = stmt.where(or_(*options))
    state = request.args.get("state", "")
    if state in STATES:
        stmt = stmt.where(Executor.active == STATES[state])
    page = paginate(stmt)
    ids = [e.id for e in page.items]
    open_counts = dict(db.session.execute(
        select(Request.executor_id, func.count())
        .where(Request.executor_id.in_(ids), Request.status.in_(OPEN))
        .group_by(Request.executor_id)
    ).all()) if ids else {}
    return render_list("admin/executors/index.html", "admin/executors/_table.html",
                       page=page, q=term, open_counts=open_counts)


@bp.route("/executors/new", methods=["GET", "POST"])
def executors_new():
    """Create an executor."""
    form = ExecutorForm()
    if form.validate_on_submit():
        obj = Executor()
        form.populate_obj(obj)
        db.session.add(obj)
        db.session.commit()
        return done(url_for("admin.executors"), f"Исполнитель «{obj.full_name}» добавлен.")
    return render_template("admin/executors/form.html", form=form, executor=None)


@bp.route("/executors/<int:executor_id>", methods=["GET", "POST"])
def executors_edit(executor_id: int):
    """Edit an executor (dispatchers too: phones and positions change)."""
    obj = db.get_or_404(Executor, executor_id)
    form = ExecutorForm(obj=obj)
    if form.validate_on_submit():
        form.populate_obj(obj)
        db.session.commit()
        return done(url_for("admin.executors"), "Изменения сохранены.")
    used = _used(obj)
    return render_template("admin/executors/form.html", form=form, executor=obj, used=used)


def _used(obj: Executor) -> int:
    return db.session.execute(
        select(func.count()).select_from(Request).where(Request.executor_id == obj.id)
    ).scalar_one()


@bp.route("/executors/<int:executor_id>/toggle", methods=["POST"])
def executors_toggle(executor_id: int):
    """Switch an executor on or off (off: cannot be assigned to new requests)."""
    obj = db.get_or_404(Executor, executor_id)
    obj.active = not obj.active
    db.session.commit()
    state = "снова доступен для назначения" if obj.active else "отключён: на новые заявки его не назначить"
    return done(url_for("admin.executors"), f"Исполнитель «{obj.full_name}» {state}.")


@bp.route("/executors/<int:executor_id>/delete", methods=["POST"])
@admin_required
def executors_delete(executor_id: int):
    """Delete an executor no request mentions."""
    obj = db.get_or_404(Executor, executor_id)
    used = _used(obj)
    if used:
        return done(url_for("admin.executors_edit", executor_id=obj.id),
                    f"Исполнителя «{obj.full_name}» нельзя удалить: он указан в заявках ({used}). "
                    "Отключите его — на новые заявки его не назначить, а история заявок сохранится.",
                    "danger")
    name = obj.full_name
    db.session.delete(obj)
    db.session.commit()
    return done(url_for("admin.executors"), f"Исполнитель «{name}» удалён.")
