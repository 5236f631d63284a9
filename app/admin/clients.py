"""Clients (personal accounts): list, card with Telegram bindings, create, edit, delete."""
from flask import abort, current_app, render_template, url_for
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.admin import bp
from app.admin.common import admin_required, done, paginate, render_list, search_term
from app.database import contains_ci
from app.admin.forms import ClientForm
from app.extensions import db
from app.models import Client, Request, TelegramBinding
from app.services.people import bindings as binding_service
from app.services.people.phones import InvalidPhone, normalise_phone, search_digits

RECENT_REQUESTS = 10


def client_filter(term: str):
    """Every word must match somewhere: name, address, ЛС, contract or phone."""
    conditions = []
    for word in term.split():
        options = [contains_ci(Client.full_name, word), contains_ci(Client.city, word),
                   contains_ci(Client.street, word), Client.account.contains(word, autoescape=True),
                   contains_ci(Client.contract_number, word), func.lower(Client.house) == word.lower(),
                   Client.apartment == word]
        digits = search_digits(word)
        if len(digits) >= 3 and len(digits) == len(word.lstrip("+")):  # a word that is a phone's part
            options.append(Client.phone.contains(digits, autoescape=True))
        conditions.append(or_(*options))
    condition = and_(*conditions)
    if sum(ch.isdigit() for ch in term) >= 10:  # a whole phone, however typed: 8 912 345-67-89
        try:
            condition = or_(Client.phone == normalise_phone(term), condition)
        except InvalidPhone:
            pass
    return condition



@bp.route("/clients")
def clients():
    """Clients list with search and pagination."""
    term = search_term()
    stmt = select(Client).order_by(Client.full_name, Client.id)
    if term:
        stmt = stmt.where(client_filter(term))
    page = paginate(stmt)
    ids = [c.id for c in page.items]
    bound = dict(db.session.execute(
        select(TelegramBinding.client_id, func.count())
        .where(TelegramBinding.client_id.in_(ids)).group_by(TelegramBinding.client_id)
    ).all()) if ids else {}
    return render_list("admin/clients/index.html", "admin/clients/_table.html",
                       page=page, q=term, bound=bound)


def _account_taken(form: ClientForm, client_id: int | None) -> bool:
    other = db.session.execute(
        select(Client).where(Client.account == form.account.data, Client.id != (client_id or 0))
    ).scalar_one_or_none()
    if other is not None:
        form.account.errors.append(f"Этот лицевой счёт уже принадлежит клиенту: {other.full_name}.")
        return True
    return False


def _save(form: ClientForm, client: Client) -> bool:
    """Write the form into the client; False (with the form error set) when the ЛС is taken."""
    if _account_taken(form, client.id):
        return False
    form.populate_obj(client)
    db.session.add(client)
    try:
        db.session.commit()
    except IntegrityError:  # the same ЛС saved by someone else a moment ago
        db.session.rollback()
        form.account.errors.append("Этот лицевой счёт уже занят.")
        return False
    return True


@bp.route("/clients/new", methods=["GET", "POST"])
def clients_new():
    """Create a client."""
    form = ClientForm()
    if form.validate_on_submit():
        client = Client()
        if _save(form, client):
            return done(url_for("admin.clients_view", client_id=client.id), "Клиент добавлен.")
    return render_template("admin/clients/form.html", form=form, client=None)


@bp.route("/clients/<int:client_id>")
def clients_view(client_id: int):
    """Client card: details, Telegram bindings, recent requests."""
    obj = db.get_or_404(Client, client_id)
    requests = db.session.execute(
        select(Request).where(Request.client_id == obj.id)
        .options(selectinload(Request.category), selectinload(Request.subcategory))
        .order_by(Request.created_at.desc(), Request.id.desc()).limit(RECENT_REQUESTS)
    ).scalars().all()
    total = db.session.execute(
        select(func.count()).select_from(Request).where(Request.client_id == obj.id)
    ).scalar_one()
    return render_template("admin/clients/view.html", client=obj, requests=requests,
                           total_requests=total, request_link=_request_link())


def _request_link():
    """The journal's request page (the journal is built separately; without it, no links)."""
    if "journal.request_page" in current_app.view_functions:
        return lambda r: url_for("journal.request_page", request_id=r.id)
    return None


@bp.route("/clients/<int:client_id>/edit", methods=["GET", "POST"])
def clients_edit(client_id: int):
    """Edit a client (dispatchers too: fixing a phone number is daily work)."""
    obj = db.get_or_404(Client, client_id)
    form = ClientForm(obj=obj)
    if form.validate_on_submit() and _save(form, obj):
        return done(url_for("admin.clients_view", client_id=obj.id), "Изменения сохранены.")
    return render_template("admin/clients/form.html", form=form, client=obj)


@bp.route("/clients/<int:client_id>/delete", methods=["POST"])
@admin_required
def clients_delete(client_id: int):
    """Delete a client; their requests stay in the journal with the address snapshot."""
    obj = db.get_or_404(Client, client_id)
    name = obj.full_name
    db.session.delete(obj)
    db.session.commit()
    return done(url_for("admin.clients"), f"Клиент «{name}» удалён.")


@bp.route("/clients/<int:client_id>/bindings/<int:binding_id>/revoke", methods=["POST"])
@admin_required
def clients_binding_revoke(client_id: int, binding_id: int):
    """Release a Telegram binding: that user has to identify again."""
    binding = db.session.get(TelegramBinding, binding_id)
    if binding is None or binding.client_id != client_id:
        abort(404)
    telegram_user_id = binding.telegram_user_id
    binding_service.revoke(binding.id)
    db.session.commit()
    return done(url_for("admin.clients_view", client_id=client_id),
                f"Привязка Telegram-пользователя {telegram_user_id} отозвана.")
