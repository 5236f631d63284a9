"""The request page (details, the conversation with the resident, photos, history,
executor, status, comments) and filing a request for a resident who phoned in.

Every change goes through app.services.requests.lifecycle, which enforces the rules and
writes the history and the resident's notification; messages to the resident go
through app.services.requests.conversation. Opening the page marks the resident's messages read; those
its poll brings later are marked by the page (static/thread.js) once a person sees it, never by
the poll itself, so a page left in a background tab keeps them unread in the journal.
"""
import secrets
from typing import Callable

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from app.database import contains_ci, locked
from app.extensions import db
from app.journal import bp
from app.journal.forms import CategoryForm, CommentForm, ExecutorForm, MessageForm, NewRequestForm, StatusForm
from app.models import Category, Client, Executor, Request, RequestEvent, RequestPhoto, Subcategory, utcnow
from app.models.conversation import KIND_LABELS
from app.services.requests import conversation
from app.services.requests import deadlines
from app.services.requests import executor_jobs
from app.services.requests import lifecycle as request_service
from app.services.requests.categories import active_categories, active_subcategories
from app.services.requests.conversation import BadPhoto, ConversationError
from app.services.requests.lifecycle import RequestError
from app.services.requests.statuses import Status, allowed_targets, executor_locked
from app.services import storage
from app.telegram.limits import SEND_PHOTO_MAX_BYTES
from app.web import parse_id

IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
CLIENT_RESULTS = 20
DELIVERY_POLL_SECONDS = 5  # how soon «в очереди» turns into «доставлено» on an open page


def _load(request_id: int, lock: bool = False) -> Request:
    """The request or 404; `lock` holds its row until commit, so two dispatchers (or a dispatcher
    and the resident in the bot) changing it at once are applied one after the other: a change
    made in between is seen, never overwritten."""
    obj = locked(Request, request_id) if lock else db.session.get(Request, request_id)
    if obj is None:
        abort(404)
    return obj


def _executor_choices(req: Request) -> list[tuple[str, str]]:
    executors = db.session.execute(Executor.assignable(req.executor_id)).scalars()
    return [("", "— выберите —")] + [
        (str(e.id), e.full_name + (f", {e.position}" if e.position else "") + ("" if e.active else " (отключён)")
         + (" · в Telegram" if e.in_telegram else ""))  # they get the job in the bot
        for e in executors
    ]


def _category_choices(form: CategoryForm, req: Request) -> None:
    """The categories in use (and the request's own, even if switched off); the subcategories of the
    chosen one."""
    categories = db.session.execute(Category.choosable(req.category_id, Category.id, Category.name)).all()
    form.category.choices = [(str(c.id), c.name) for c in categories]
    category_id = parse_id(form.category.data)
    subs = db.session.execute(Subcategory.choosable(category_id, req.subcategory_id, Subcategory.id,
                                                    Subcategory.name)).all() if category_id else []
    form.subcategory.choices = [("", "— без подкатегории —")] + [(str(s.id), s.name) for s in subs]


def _render(req: Request, *, status_form=None, executor_form=None, comment_form=None, message_form=None,
            category_form=None, error: str | None = None, code: int = 200):
    executor_form = executor_form or ExecutorForm(formdata=None)
    executor_form.executor.choices = _executor_choices(req)
    if not executor_form.executor.data and req.executor_id:
        executor_form.executor.data = str(req.executor_id)
    if category_form is None:  # showing the request's current choice
        category_form = CategoryForm(formdata=None, category=str(req.category_id),
                                     subcategory=str(req.subcategory_id or ""))
    _category_choices(category_form, req)
    events = db.session.execute(
        select(RequestEvent).where(RequestEvent.request_id == req.id).order_by(RequestEvent.id.desc())
    ).scalars().all()
    return render_template(
        "journal/request.html", req=req, events=events, photos=req.photos,
        targets=allowed_targets(req.status),
        executor_locked=executor_locked(req.status),
        status_form=status_form or StatusForm(formdata=None), executor_form=executor_form,
        comment_form=comment_form or CommentForm(formdata=None), category_form=category_form,
        message_form=message_form or MessageForm(formdata=None, key=secrets.token_urlsafe(16)),
        photo_max=SEND_PHOTO_MAX_BYTES,
        cannot_write=conversation.staff_cannot_write(req),
        confirm_deadline=request_service.confirmation_deadline(req, current_app.config["CONFIRM_DAYS"]),
        deadline_lines=deadlines.lines(req, utcnow()), job_delivery=executor_jobs.delivery(req), error=error,
        **_thread(req, seen=True),
    ), code


def _thread(req: Request, seen: bool) -> dict:
    """The conversation for the page; `seen`: a person has it in front of them (the page is opened),
    so the resident messages it shows are read. The page polls it, quicker while a message waits to
    be delivered; what a poll brings stays unread (`unread_upto`) until the page says it was seen."""
    entries = conversation.thread(req)
    unread_upto = max((entry.message.id for entry in entries if entry.new), default=None)
    if seen and unread_upto is not None:
        conversation.mark_read(req, upto=unread_upto)
        db.session.commit()
        unread_upto = None
    poll = current_app.config["JOURNAL_NEWS_POLL_SECONDS"]
    if any(entry.delivery == "pending" for entry in entries):
        poll = min(poll, DELIVERY_POLL_SECONDS)
    # A request filed by phone has no conversation with its resident, but may have the executor's report.
    has_messages = any(entry.message is not None for entry in entries)
    return {"entries": entries, "thread_poll": poll, "kind_labels": KIND_LABELS, "has_messages": has_messages,
            "unread_upto": unread_upto}


def _apply(req: Request, change: Callable[[], str], refused_code: int = 409, anchor: str | None = None,
           **form):
    """The request page's forms, once checked: `change()` makes the change through the request service
    (the row is locked: _load) and says what was done; the change commits and the page is shown again
    with that said. A change the rules refuse (RequestError) is rolled back and the page is drawn again
    with the form as typed (`form`: its name in _render) and the reason."""
    try:
        done = change()
    except RequestError as error:
        db.session.rollback()
        return _render(_load(req.id), **form, error=str(error), code=refused_code)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("journal.request_page", request_id=req.id, _anchor=anchor), 303)


@bp.route("/requests/<int:request_id>")
def request_page(request_id: int):
    """A request: details, photos, history and what a dispatcher can do with it."""
    return _render(_load(request_id))


@bp.post("/requests/<int:request_id>/status")
def change_status(request_id: int):
    """Move the request to another status, only along the allowed transitions."""
    req = _load(request_id, lock=True)
    form = StatusForm()
    if not form.validate_on_submit():
        return _render(req, status_form=form, error="Проверьте комментарий.", code=400)
    if form.current.data and form.current.data != req.status:
        return _render(req, status_form=form, code=409, error=(
            f"Пока страница была открыта, статус заявки изменился: сейчас «{req.status_label}». "
            "Проверьте и повторите."))

    def change() -> str:
        request_service.change_status(req, form.status.data or "", current_user,
                                      (form.status_comment.data or "").strip())
        return f"Статус заявки № {req.number} изменён: «{req.status_label}»."
    return _apply(req, change, status_form=form)


@bp.post("/requests/<int:request_id>/executor")
def assign_executor(request_id: int):
    """Assign or change the executor; a new request becomes «назначена исполнителю»."""
    req = _load(request_id, lock=True)
    form = ExecutorForm()
    if not form.validate_on_submit():
        return _render(req, executor_form=form, code=400)
    executor_id = parse_id(form.executor.data)
    executor = db.session.get(Executor, executor_id) if executor_id else None
    if executor is None:
        form.executor.errors.append("Такого исполнителя нет: выберите из списка.")
        return _render(req, executor_form=form, code=400)

    def change() -> str:
        was_new = req.status == Status.NEW
        request_service.assign_executor(req, executor, current_user, (form.executor_comment.data or "").strip())
        message = f"Исполнитель: {executor.full_name}."
        return message + (" Заявка назначена исполнителю." if was_new and req.status == Status.ASSIGNED else "")
    return _apply(req, change, executor_form=form)


@bp.post("/requests/<int:request_id>/category")
def change_category(request_id: int):
    """Correct the category / subcategory; the deadlines are recomputed from the filing time."""
    req = _load(request_id, lock=True)
    form = CategoryForm()
    _category_choices(form, req)
    if not form.validate_on_submit():
        return _render(req, category_form=form, code=400)
    category_id, subcategory_id = parse_id(form.category.data), parse_id(form.subcategory.data)
    category = db.session.get(Category, category_id) if category_id else None
    subcategory = db.session.get(Subcategory, subcategory_id) if subcategory_id else None
    if category is None:
        form.category.errors.append("Такой категории нет: выберите из списка.")
        return _render(req, category_form=form, code=400)
    if form.subcategory.data and subcategory is None:
        form.subcategory.errors.append("Такой подкатегории нет: выберите из списка.")
        return _render(req, category_form=form, code=400)

    def change() -> str:
        request_service.change_category(req, category, subcategory, current_user,
                                        (form.category_comment.data or "").strip())
        return f"Категория заявки № {req.number}: {req.category_text}. Сроки пересчитаны от времени подачи."
    return _apply(req, change, category_form=form)


@bp.post("/requests/<int:request_id>/comment")
def add_comment(request_id: int):
    """Add a staff comment to the history."""
    req = _load(request_id, lock=True)
    form = CommentForm()
    if not form.validate_on_submit():
        return _render(req, comment_form=form, code=400)

    def change() -> str:
        request_service.add_comment(req, current_user, form.text.data)
        return "Комментарий добавлен."
    return _apply(req, change, refused_code=400, anchor="history", comment_form=form)


@bp.route("/requests/<int:request_id>/thread")
def thread(request_id: int):
    """The conversation alone: the open page polls it for new messages and delivery states."""
    req = _load(request_id)
    return render_template("journal/_thread.html", req=req, **_thread(req, seen=False))


@bp.post("/requests/<int:request_id>/read")
def messages_read(request_id: int):
    """The open page is in front of its reader: the resident messages it shows (up to `upto`) are read."""
    req = _load(request_id)
    upto = parse_id(request.form.get("upto"))
    if upto is None:
        abort(400, "Не указано, до какого сообщения прочитано.")
    conversation.mark_read(req, upto=upto)
    db.session.commit()
    return "", 204


@bp.post("/requests/<int:request_id>/messages")
def send_message(request_id: int):
    """Write to the resident in Telegram (through the outbox), with an optional photo."""
    req = _load(request_id, lock=True)
    form = MessageForm()
    if not form.validate_on_submit():
        return _render(req, message_form=form, code=400)
    upload = form.photo.data
    photo = upload.read(SEND_PHOTO_MAX_BYTES + 1) if upload else None  # more is refused: no need to read it
    try:
        conversation.add_staff_message(req, current_user, form.text.data or "", photo, form.key.data)
    except ConversationError as error:
        db.session.rollback()
        req = _load(request_id)
        if conversation.staff_cannot_write(req):  # no form on the page: say it at the top
            return _render(req, message_form=form, error=str(error), code=400)
        (form.photo if isinstance(error, BadPhoto) else form.text).errors.append(str(error))
        return _render(req, message_form=form, code=400)
    db.session.commit()
    flash("Сообщение поставлено в очередь: бот отправит его жителю.", "success")
    return redirect(url_for("journal.request_page", request_id=req.id, _anchor="conversation"), 303)


@bp.route("/requests/<int:request_id>/photos/<int:photo_id>")
def photo(request_id: int, photo_id: int):
    """A photo of the request, the resident's, an executor's or staff's, from the file store (signed-in
    staff only; never a file outside STORAGE_DIR)."""
    item = db.session.get(RequestPhoto, photo_id)
    described = storage.info(item.file_path) if item is not None and item.file_path else None
    if described is None or item.request_id != request_id:
        abort(404)
    inline = described.content_type in IMAGE_TYPES  # anything else is a download, never a page of our site
    response = storage.send(item.file_path, content_type=None if inline else "application/octet-stream",
                            download_name=None if inline else f"photo-{photo_id}")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# --- a request filed by phone ---------------------------------------------------

@bp.route("/requests/new", methods=["GET", "POST"])
def new_request():
    """File a request for a resident who phoned in."""
    form = NewRequestForm()
    categories = active_categories()
    form.category.choices = [("", "— выберите —")] + [(str(c.id), c.name) for c in categories]
    category_id = next((c.id for c in categories if str(c.id) == form.category.data), None)
    category = db.session.get(Category, category_id) if category_id is not None else None
    subcategories = active_subcategories(category_id) if category_id is not None else []
    form.subcategory.choices = [("", "— без подкатегории —")] + [(str(s.id), s.name) for s in subcategories]
    client = _client_or_none(form.client_id.data)

    if form.validate_on_submit():
        subcategory_id = next((s.id for s in subcategories if str(s.id) == form.subcategory.data), None)
        subcategory = db.session.get(Subcategory, subcategory_id) if subcategory_id is not None else None
        if client is None:
            form.client_id.errors.append("Клиент не найден: найдите его заново по ЛС или ФИО.")
        elif category is None:
            form.category.errors.append("Выберите категорию из списка.")
        elif form.subcategory.data and subcategory is None:
            form.subcategory.errors.append("Эта подкатегория не относится к выбранной категории.")
        else:
            try:
                req = request_service.create_request(
                    client=client, category=category, subcategory=subcategory,
                    description=form.description.data.strip(),
                    contact_phone=form.contact_phone.data or client.phone,
                    actor=current_user, source="phone",
                )
            except RequestError as error:
                db.session.rollback()
                form.category.errors.append(str(error))
            else:
                db.session.commit()
                flash(f"Заявка № {req.number} создана.", "success")
                return redirect(url_for("journal.request_page", request_id=req.id), 303)
    code = 400 if request.method == "POST" else 200
    return render_template("journal/new_request.html", form=form, client=client), code


def _client_or_none(value) -> Client | None:
    client_id = parse_id(value)
    return db.session.get(Client, client_id) if client_id else None


@bp.route("/requests/new/clients")
def client_search():
    """Clients whose ЛС starts with, or whose name contains, what was typed."""
    q = request.args.get("q", "").strip()[:100]
    clients = []
    if len(q) >= 2 or (q.isdigit() and q):
        conditions = [contains_ci(Client.full_name, q)]
        if q.isdigit():
            conditions.append(Client.account.startswith(q, autoescape=True))
        clients = db.session.execute(
            select(Client).where(or_(*conditions))
            .order_by(func.lower(Client.full_name), Client.account).limit(CLIENT_RESULTS + 1)
        ).scalars().all()
    return render_template("journal/_client_results.html", clients=clients[:CLIENT_RESULTS], q=q,
                           more=len(clients) > CLIENT_RESULTS)


@bp.route("/requests/new/client", defaults={"client_id": None})
@bp.route("/requests/new/client/<int:client_id>")
def client_pick(client_id: int | None):
    """The client part of the new-request form: a search box, or the chosen client."""
    client = db.session.get(Client, client_id) if client_id is not None else None
    if client_id is not None and client is None:
        abort(404)
    return render_template("journal/_client_picker.html", client=client, errors=[])
