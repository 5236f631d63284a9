"""Incidents (Аварии): the list with linked counts, creating one (from a request, from the journal's
selection, or on its own), its page (status moves for all its requests, history, linked requests,
linking and unlinking, a message to every linked resident, «Оповестить жителей»), and linking a request
to one from the request page.

The rules are in app.services.incidents; every change here locks the incident's row first
(records.load(lock=True)) and commits once.
"""
import json
import re
import secrets
from collections import Counter as Tally
from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from app.extensions import db
from app.announcements.forms import place_value
from app.incidents import bp
from app.incidents.forms import IncidentForm, LinkForm, MessageForm, StatusForm
from app.models import Category, Executor, Incident, IncidentStatus, Request, Subcategory
from app.models.conversation import Verdict
from app.services.incidents import messages, moves, records, statuses
from app.services.incidents.moves import IncidentError
from app.services.requests.statuses import Status
from app.timezone import local_tz
from app.web import parse_id

LISTED = 200
NUMBERS = re.compile(r"\d{1,18}")


# --- helpers ----------------------------------------------------------------------------------

def _load(incident_id: int, lock: bool = False) -> Incident:
    incident = records.load(incident_id, lock=lock)
    if incident is None:
        abort(404)
    return incident


def _ids(values) -> list[int]:
    """Request ids from a form or query (forged ones are dropped; nothing found is said on the page)."""
    return list(dict.fromkeys(i for i in (parse_id(v) for v in values) if i is not None))


def _requests(ids: list[int]) -> list[Request]:
    if not ids:
        return []
    return db.session.execute(select(Request).where(Request.id.in_(ids)).order_by(Request.id)).scalars().all()


def _local(moment):
    return moment.replace(tzinfo=local_tz()) if moment is not None else None


def _executor_choices(current_id=None) -> list[tuple[str, str]]:
    executors = db.session.execute(Executor.assignable(current_id)).scalars()
    return [("", "— не назначен —")] + [(str(e.id), e.full_name + (f", {e.position}" if e.position else ""))
                                        for e in executors]


def _category_choices(form: IncidentForm, keep: Incident | None = None) -> None:
    """The category and subcategory lists (an edited incident's own ones kept even if switched off)."""
    categories = db.session.execute(Category.choosable(keep.category_id if keep else None,
                                                       Category.id, Category.name)).all()
    form.category.choices = [(str(c.id), c.name) for c in categories]
    category_id = parse_id(form.category.data)
    subs = db.session.execute(Subcategory.choosable(category_id, keep.subcategory_id if keep else None,
                                                    Subcategory.id, Subcategory.name)).all() \
        if category_id else []
    form.subcategory.choices = [("", "— любая —")] + [(str(s.id), s.name) for s in subs]


def _fields(form: IncidentForm) -> dict:
    """The category, subcategory and executor chosen (None where none or not found)."""
    def chosen(model, value):
        return db.session.get(model, parse_id(value) or 0) if value else None
    return {"category": chosen(Category, form.category.data), "subcategory": chosen(Subcategory, form.subcategory.data),
            "executor": chosen(Executor, form.executor.data), "description": form.description.data or "",
            "expected_at": _local(form.expected_at.data)}


def _house_value(house) -> str:
    return json.dumps(list(house), ensure_ascii=False)


def _picked_houses() -> tuple[list[tuple], dict]:
    """The ticked houses (forged values dropped) and the entrances typed beside each."""
    houses, noted = [], {}
    for raw in request.form.getlist("picked_house"):
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        if isinstance(value, list) and len(value) == 4 and all(isinstance(v, str) for v in value):
            house = tuple(v[:200] for v in value)
            houses.append(house)
            noted[house] = request.form.get("entrances:" + raw, "")
    return houses, noted


def _chosen_houses(form: IncidentForm) -> tuple[list[tuple], dict]:
    """The ticked houses and the one typed (checked against the clients' addresses), with their entrances."""
    houses, noted = _picked_houses()
    if (form.street.data or "").strip() or (form.house.data or "").strip():
        house = records.typed_house(form.city.data or "", form.street.data or "", form.house.data or "")
        houses.append(house)
        noted[house] = form.entrances.data or ""
    return houses, noted


def _flash_linked(linked: records.Linked, incident: Incident) -> None:
    if linked.numbers:
        flash(f"К аварии № {incident.number} присоединено заявок: {len(linked.numbers)}.", "success")
    if linked.warnings:
        flash("Обратите внимание: " + "; ".join(linked.warnings[:10])
              + ("…" if len(linked.warnings) > 10 else "") + ".", "warning")


bp.add_app_template_filter(statuses.label, "incident_status")


@bp.app_context_processor
def _request_page_helpers():
    """For the request page's «Авария» block (templates/incidents/_request_block.html)."""
    def linkable_incidents(req: Request) -> list[Incident]:
        if req.incident_id is not None or req.status in (Status.CLOSED, Status.ARCHIVED):
            return []
        return db.session.execute(
            select(Incident).where(Incident.status.in_([s.value for s in statuses.LINKABLE]))
            .order_by((Incident.category_id == req.category_id).desc(), Incident.created_at.desc())
            .limit(30)).scalars().all()
    return {"linkable_incidents": linkable_incidents}


# --- the list ---------------------------------------------------------------------------------

STATUS_FILTERS = [("active", "Все незакрытые"), *statuses.CHOICES, ("all", "Все")]


@bp.route("/")
def index():
    """Incidents, newest first, with how many requests each holds (and how many are still open)."""
    status = request.args.get("status", "active")
    if status not in dict(STATUS_FILTERS):
        status = "active"
    category_id = parse_id(request.args.get("category"))
    stmt = select(Incident).order_by(Incident.created_at.desc(), Incident.id.desc()).limit(LISTED)
    if status == "active":
        stmt = stmt.where(Incident.status != IncidentStatus.CLOSED.value)
    elif status != "all":
        stmt = stmt.where(Incident.status == status)
    if category_id:
        stmt = stmt.where(Incident.category_id == category_id)
    incidents = db.session.execute(stmt).scalars().all()
    counts = records.linked_counts([i.id for i in incidents])
    returned = dict(db.session.execute(
        select(Request.incident_id, func.count(Request.id))
        .where(Request.incident_id.in_([i.id for i in incidents]), Request.verdict == Verdict.RETURNED.value,
               Request.status == Status.IN_PROGRESS.value).group_by(Request.incident_id)).all())
    categories = db.session.execute(select(Category.id, Category.name).order_by(Category.name)).all()
    return render_template("incidents/index.html", incidents=incidents, counts=counts, returned=returned,
                           status=status, status_filters=STATUS_FILTERS, category_id=category_id,
                           categories=categories)


# --- creating one -----------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
def new():
    """A new incident, from the requests given (`request`, repeated: the request page's button or the
    journal's selection) or from nothing; the same page offers to add them to an incident that exists."""
    source = request.form if request.method == "POST" else request.args
    asked = _ids(source.getlist("request"))[:records.LINK_MAX]
    chosen = _requests(asked)  # every id checked: forged or deleted ones are counted apart, linking checks each
    form = IncidentForm()
    if request.method == "GET" and chosen:
        first = chosen[0]
        form.category.data = str(Tally(r.category_id for r in chosen).most_common(1)[0][0])
        subs = {r.subcategory_id for r in chosen}
        form.subcategory.data = str(subs.pop() or "") if len(subs) == 1 else ""
        form.description.data = first.description if len(chosen) == 1 else ""
    _category_choices(form)
    form.executor.choices = _executor_choices()
    houses = records.houses_of(chosen)
    error, code = None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                picked, noted = _chosen_houses(form)
                incident = records.create(**_fields(form), houses=picked, offered=houses, entrances=noted,
                                          actor=current_user)
                linked = records.link(incident, [r.id for r in chosen], current_user)
            except IncidentError as refused:
                db.session.rollback()
                error, code = str(refused), 409
            else:
                db.session.commit()
                flash(f"Авария № {incident.number} создана.", "success")
                _flash_linked(linked, incident)
                return redirect(url_for("incidents.view", incident_id=incident.id), 303)
        else:
            error, code = "Проверьте поля формы.", 400
    picked, noted = _picked_houses() if request.method == "POST" else (houses, {})  # the typed one stays typed
    existing = db.session.execute(
        select(Incident).where(Incident.status.in_([s.value for s in statuses.LINKABLE]))
        .order_by(Incident.created_at.desc()).limit(50)).scalars().all()
    return render_template("incidents/new.html", form=form, chosen=chosen, not_found=len(asked) - len(chosen),
                           houses=list(dict.fromkeys(houses + picked)), checked=set(picked), noted=noted,
                           house_value=_house_value, house_label=records.house_label, existing=existing,
                           error=error), code


# --- an incident ------------------------------------------------------------------------------

def _render(incident: Incident, *, edit_form=None, status_form=None, link_form=None, message_form=None,
            error: str | None = None, code: int = 200):
    """The incident's page; `edit_form` posted and refused: shown again with what was chosen."""
    houses, editing = [a.key for a in incident.addresses], edit_form is not None
    if edit_form is None:
        edit_form = IncidentForm(
            formdata=None, category=str(incident.category_id), subcategory=str(incident.subcategory_id or ""),
            description=incident.description, executor=str(incident.executor_id or ""),
            expected_at=incident.expected_at.astimezone(local_tz()).replace(tzinfo=None)
            if incident.expected_at else None)
        picked, noted = houses, {a.key: a.entrances for a in incident.addresses}
    else:
        picked, noted = _picked_houses()  # as posted; the typed house stays in its fields
    _category_choices(edit_form, keep=incident)
    edit_form.executor.choices = _executor_choices(incident.executor_id)
    linked = db.session.execute(select(Request).where(Request.incident_id == incident.id)
                                .order_by(Request.id)).scalars().all()
    returned = [r for r in linked if r.verdict == Verdict.RETURNED and r.status == Status.IN_PROGRESS]
    return render_template(
        "incidents/incident.html", incident=incident, linked=linked, returned=returned,
        events=list(reversed(incident.events)), targets=statuses.allowed_targets(incident.status),
        linkable=incident.status in statuses.LINKABLE, closed=incident.status == IncidentStatus.CLOSED,
        edit_form=edit_form, editing=editing, houses=list(dict.fromkeys(houses + picked)), checked=set(picked), noted=noted,
        house_value=_house_value, house_label=records.house_label,
        status_form=status_form or StatusForm(formdata=None),
        link_form=link_form or LinkForm(formdata=None),
        message_form=message_form or MessageForm(formdata=None, key=secrets.token_urlsafe(16)),
        announce_url=_announce_url(incident), error=error), code


def _announce_url(incident: Incident) -> str:
    """The announcement form, prefilled: every house of the incident (on any streets: «Дома из списка»)
    as the audience, every address (with its entrances) in the «Отключение» template, the description
    as its note."""
    params = [("scope", "places"), ("outage_kind", "emergency"), ("note", incident.description[:500]),
              ("addresses", incident.address_text[:500])]
    params += [("places", place_value((a.city, a.street, a.house + a.house_letter))) for a in incident.addresses]
    return url_for("announcements.new") + "?" + urlencode(params)


def _done(incident: Incident, message: str, anchor: str | None = None):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("incidents.view", incident_id=incident.id, _anchor=anchor), 303)


@bp.route("/<int:incident_id>")
def view(incident_id: int):
    return _render(_load(incident_id))


@bp.post("/<int:incident_id>/status")
def change_status(incident_id: int):
    """Move the incident, and with it every linked open request, to another status."""
    incident = _load(incident_id, lock=True)
    form = StatusForm()
    if not form.validate_on_submit():
        return _render(incident, status_form=form, error="Проверьте комментарий.", code=400)
    if form.current.data and form.current.data != incident.status:
        return _render(incident, status_form=form, code=409, error=(
            f"Пока страница была открыта, статус аварии изменился: сейчас «{incident.status_label}». "
            "Проверьте и повторите."))
    try:
        moved = moves.move(incident, form.status.data or "", current_user, form.note.data or "")
    except IncidentError as refused:
        db.session.rollback()
        return _render(_load(incident_id), status_form=form, error=str(refused), code=409)
    return _done(incident, f"Авария № {incident.number}: «{incident.status_label}». Заявок переведено: {moved}.")


@bp.post("/<int:incident_id>/edit")
def edit(incident_id: int):
    """Change the incident: its category, houses and their entrances, description, expected time, executor."""
    incident = _load(incident_id, lock=True)
    form = IncidentForm()
    _category_choices(form, keep=incident)
    form.executor.choices = _executor_choices(incident.executor_id)
    if not form.validate_on_submit():
        return _render(incident, edit_form=form, error="Проверьте поля аварии.", code=400)
    try:
        picked, noted = _chosen_houses(form)
        records.edit(incident, **_fields(form), houses=picked, entrances=noted, actor=current_user)
    except IncidentError as refused:
        db.session.rollback()
        return _render(_load(incident_id), edit_form=form, error=str(refused), code=409)
    return _done(incident, "Авария сохранена.")


@bp.post("/join")
def join():
    """«Добавить в существующую аварию» of the new incident's page: the incident chosen from the list."""
    incident_id = parse_id(request.form.get("incident"))
    if incident_id is None:
        abort(404)
    return link(incident_id)


@bp.post("/<int:incident_id>/link")
def link(incident_id: int):
    """Link requests: typed numbers, or the ids of the journal's selection (`request`)."""
    incident = _load(incident_id, lock=True)
    form = LinkForm()
    if not form.validate_on_submit():
        return _render(incident, link_form=form, error="Проверьте номера заявок.", code=400)
    ids = _ids(request.form.getlist("request"))
    numbers = [int(n) for n in NUMBERS.findall(form.numbers.data or "")]
    if numbers:
        found = dict(db.session.execute(select(Request.number, Request.id).where(Request.number.in_(numbers))).all())
        missing = [n for n in numbers if n not in found]
        if missing:
            return _render(incident, link_form=form, code=404,
                           error="Заявки не найдены: " + ", ".join(f"№ {n}" for n in missing[:20]) + ".")
        ids += [found[n] for n in numbers]
    if not ids:
        return _render(incident, link_form=form, code=400, error="Укажите номера заявок, например «1024, 1025».")
    if len(ids) > records.LINK_MAX:
        return _render(incident, link_form=form, code=400,
                       error=f"Слишком много заявок за раз: не больше {records.LINK_MAX}.")
    try:
        linked = records.link(incident, ids, current_user)
    except IncidentError as refused:
        db.session.rollback()
        back = request.form.get("back")
        if back == "request" and len(ids) == 1:
            flash(str(refused), "danger")
            return redirect(url_for("journal.request_page", request_id=ids[0]), 303)
        return _render(_load(incident_id), link_form=form, error=str(refused), code=409)
    db.session.commit()
    _flash_linked(linked, incident)
    if request.form.get("back") == "request" and len(ids) == 1:
        return redirect(url_for("journal.request_page", request_id=ids[0]), 303)
    return redirect(url_for("incidents.view", incident_id=incident.id, _anchor="linked"), 303)


@bp.post("/<int:incident_id>/unlink/<int:request_id>")
def unlink(incident_id: int, request_id: int):
    incident = _load(incident_id, lock=True)
    if db.session.execute(select(Request.id).where(Request.id == request_id,
                                                   Request.incident_id == incident.id)).first() is None:
        abort(404)  # not this incident's request (unlinked meanwhile, or a forged id)
    try:
        req = records.unlink(incident, request_id, current_user)
    except IncidentError as refused:
        db.session.rollback()
        return _render(_load(incident_id), error=str(refused), code=409)
    db.session.commit()
    flash(f"Заявка № {req.number} отвязана от аварии № {incident.number}.", "success")
    if request.form.get("back") == "request":
        return redirect(url_for("journal.request_page", request_id=req.id), 303)
    return redirect(url_for("incidents.view", incident_id=incident.id, _anchor="linked"), 303)


@bp.post("/<int:incident_id>/message")
def send_message(incident_id: int):
    """A message to every linked resident (one per Telegram chat), kept in each request's thread."""
    incident = _load(incident_id, lock=True)
    form = MessageForm()
    if not form.validate_on_submit():
        return _render(incident, message_form=form, error="Проверьте сообщение.", code=400)
    try:
        chats = messages.send(incident, current_user, form.text.data or "", form.key.data)
    except IncidentError as refused:
        db.session.rollback()
        return _render(_load(incident_id), message_form=form, error=str(refused), code=409)
    return _done(incident, f"Сообщение отправляется жителям: {chats}." if chats else "Сообщение уже отправлено.",
                 anchor="message")


@bp.post("/link-request/<int:request_id>")
def link_request(request_id: int):
    """The request page's «Присоединить к аварии»: an incident chosen from the list or typed by number."""
    if db.session.get(Request, request_id) is None:
        abort(404)
    incident = None
    if (chosen := parse_id(request.form.get("incident"))) is not None:
        incident = db.session.get(Incident, chosen)
    elif (typed := (request.form.get("incident_number") or "").strip().removeprefix("№").strip()).isdigit():
        incident = records.by_number(int(typed))
    if incident is None:
        flash("Авария не найдена: выберите её из списка или введите её номер.", "danger")
        return redirect(url_for("journal.request_page", request_id=request_id), 303)
    incident = _load(incident.id, lock=True)
    try:
        linked = records.link(incident, [request_id], current_user)
    except IncidentError as refused:
        db.session.rollback()
        flash(str(refused), "danger")
        return redirect(url_for("journal.request_page", request_id=request_id), 303)
    db.session.commit()
    _flash_linked(linked, incident)
    return redirect(url_for("journal.request_page", request_id=request_id), 303)
