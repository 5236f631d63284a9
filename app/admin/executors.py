"""Executors (исполнители): the people requests are assigned to, and their Telegram accounts
(a one-time invitation to the bot, shown as a link and a QR code; the binding, revocable)."""
import io

import segno
from flask import abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from app import htmx
from app.admin import bp
from app.admin.common import admin_required, done, paginate, render_list, search_term
from app.database import contains_ci
from app.admin.forms import ExecutorForm
from app.extensions import db
from app.models import Executor, Request
from app.services.people import executor_links
from app.services.people.executor_links import InvitationError
from app.services.people.phones import search_digits
from app.services.requests.statuses import OPEN

STATES = {"active": True, "inactive": False}
QR_SCALE = 5  # pixels per module: a t.me link with its code is ~40 modules, ~200 px, readable from a screen


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
    invitation = executor_links.open_invitation(obj)
    return render_template("admin/executors/form.html", form=form, executor=obj, used=_used(obj),
                           invitation=invitation, invitation_hours=executor_links.INVITATION_HOURS,
                           link=executor_links.link(invitation) if invitation is not None else None)


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


# --- the executor's Telegram account -------------------------------------------------------
# Dispatchers too: inviting the plumber to the bot, or cutting off a lost phone, is their daily work.

def _telegram_section(obj: Executor) -> str:
    # htmx follows HX-Redirect by setting location.href: to the page already open with just a #hash
    # added, the browser would only scroll and never show the result, so htmx gets the bare page.
    anchor = None if htmx.is_htmx() else "telegram"
    return url_for("admin.executors_edit", executor_id=obj.id, _anchor=anchor)


@bp.post("/executors/<int:executor_id>/invitation")
def executors_invite(executor_id: int):
    """Create a one-time invitation to the bot; the executor's older one stops working."""
    obj = db.get_or_404(Executor, executor_id)
    return _invite(obj, executor_links.create_invitation, f"Приглашение для «{obj.full_name}» создано: передайте "
                                                         "ему ссылку или QR-код.")


@bp.post("/executors/<int:executor_id>/invitation/cancel")
def executors_invitation_cancel(executor_id: int):
    """Cancel the executor's open invitation (say, the link went to the wrong person)."""
    obj = db.get_or_404(Executor, executor_id)
    cancelled = executor_links.cancel_invitations(obj)
    db.session.commit()
    if not cancelled:
        return done(_telegram_section(obj), "Открытого приглашения нет.", "warning")
    return done(_telegram_section(obj), "Приглашение отменено: ссылка больше не действует.")


@bp.route("/executors/<int:executor_id>/invitation/qr.svg")
def executors_invitation_qr(executor_id: int):
    """The open invitation as a QR code (SVG from our own origin: the CSP allows it in an <img>)."""
    obj = db.get_or_404(Executor, executor_id)
    invitation = executor_links.open_invitation(obj)
    if invitation is None:
        abort(404)
    link = executor_links.link(invitation)
    svg = io.BytesIO()
    segno.make(link.url or link.command, error="m").save(svg, kind="svg", scale=QR_SCALE, border=4,
                                                         light="#fff", xmldecl=False)
    # no-store: the code is a key to the executor's jobs, and the image must change with each new invitation
    return svg.getvalue(), 200, {"Content-Type": "image/svg+xml", "Cache-Control": "no-store"}


@bp.post("/executors/<int:executor_id>/telegram/new-phone")
def executors_new_phone(executor_id: int):
    """«Новый телефон»: disconnect the bound account and show a new invitation, in one step."""
    obj = db.get_or_404(Executor, executor_id)
    return _invite(obj, executor_links.new_phone, f"«{obj.full_name}» отключён от прежнего аккаунта Telegram, бот "
                                                  "сообщит ему об этом. Новое приглашение создано: откройте ссылку "
                                                  "или QR-код на новом телефоне.")


def _invite(obj: Executor, make, said: str):
    """Make an invitation (`make(executor, staff)`: a new one, or a new phone's) and show it on the page."""
    try:
        make(obj, current_user)
    except InvitationError as error:
        db.session.rollback()
        return done(_telegram_section(obj), str(error), "danger")
    db.session.commit()
    return done(_telegram_section(obj), f"{said} Оно действует {executor_links.INVITATION_HOURS} часа.")


@bp.post("/executors/<int:executor_id>/telegram/unbind")
def executors_unbind(executor_id: int):
    """Disconnect the executor's Telegram account from the bot; the bot tells them so."""
    obj = db.get_or_404(Executor, executor_id)
    if not executor_links.unbind(obj):
        return done(_telegram_section(obj), f"Исполнитель «{obj.full_name}» не подключён к боту.", "warning")
    db.session.commit()
    return done(_telegram_section(obj), f"Исполнитель «{obj.full_name}» отключён от бота: задания в Telegram "
                                        "ему больше не придут, бот сообщит ему об этом.")
