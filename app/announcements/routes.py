"""Announcement pages: compose a notice (its addresses with the number of recipients, the
«Отключение» template, text, photo), preview it as Telegram shows it, send it, watch it go
out, stop it, read its report; and the history of notices.

The rules (what a notice may hold, who receives it, queueing, the report) are in
app.services.messaging.announcements and app.services.messaging.audience.
"""
import math

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from wtforms.fields.choices import SelectChoice

from app import htmx
from app.admin.common import done, page_url, paginate
from app.announcements import bp, workbook
from app.announcements.forms import AnnouncementForm, place_value, places_of
from app.services.messaging.outage import notice_text
from app.extensions import db
from app.models import Announcement
from app.plural import count, plural
from app.services.messaging import announcements
from app.services.messaging import audience as audiences
from app.services.messaging.announcements import AnnouncementError
from app.services.messaging.audience import Audience, InvalidAudience
from app.services import storage
from app.telegram.limits import MESSAGE_TEXT_MAX, PHOTO_CAPTION_MAX
from app.timezone import local_now
from app.xlsx import attachment

PHOTO_TYPES = {"image/jpeg", "image/png"}  # what check_photo lets in
UNREACHED_SHOWN = 200  # on the page; the Excel file has them all


@bp.context_processor
def _helpers():
    return {"page_url": page_url, "describe": audiences.describe, "audience_of": announcements.audience_of,
            "limits": {"text": MESSAGE_TEXT_MAX, "caption": PHOTO_CAPTION_MAX}, "plural": plural}


def _load(announcement_id: int) -> Announcement:
    return db.get_or_404(Announcement, announcement_id)


# --- the history ---

@bp.route("")
def index():
    """Every notice, newest first, with what became of its messages."""
    page = paginate(select(Announcement).order_by(Announcement.created_at.desc(), Announcement.id.desc()))
    reports = announcements.reports(a.id for a in page.items)
    states = {a.id: announcements.state(a, reports[a.id]) for a in page.items}
    return render_template("announcements/index.html", page=page, reports=reports, states=states,
                           state_labels=announcements.STATES)


# --- composing ---

@bp.route("/new", methods=["GET", "POST"])
def new():
    """Compose a notice; «Далее» saves it as a draft and shows its preview."""
    return _compose(None)


@bp.route("/<int:announcement_id>/edit", methods=["GET", "POST"])
def edit(announcement_id: int):
    """Change a draft (a sent notice stays as it was sent)."""
    notice = _load(announcement_id)
    if not notice.is_draft:
        flash("Объявление уже отправлено: изменить его нельзя.", "warning")
        return redirect(url_for("announcements.view", announcement_id=notice.id))
    return _compose(notice)


def _compose(notice: Announcement | None):
    # A new notice may come prefilled from its link (an incident's «Оповестить жителей»: addresses, template).
    prefilled = request.method == "GET" and notice is None and bool(request.args)
    form = AnnouncementForm(formdata=request.args) if prefilled else AnnouncementForm()
    if request.method == "GET" and notice is not None:
        _fill_from(form, notice)
    code, audience_error = 200, None
    if request.method == "POST" and request.form.get("action") == "fill":
        _fill_text(form)
        if htmx.is_htmx():  # the page swaps in just the text and the template
            return render_template("announcements/_message.html", form=form)
    elif request.method == "POST":  # «Далее» (CSRF is checked for every POST; the template's fields don't matter)
        saved, audience_error = _save(form, notice)
        if saved is not None:
            return redirect(url_for("announcements.view", announcement_id=saved.id), 303)
        code = 400
    return render_template("announcements/compose.html", form=form, notice=notice,
                           audience=_audience_block(form, audience_error)), code


def _fill_from(form: AnnouncementForm, notice: Announcement) -> None:
    value = announcements.audience_of(notice)
    form.text.data = notice.text
    form.scope.data = "places" if value.places else "all" if value.everyone else "address"
    form.city.data, form.street.data, form.houses.data = value.city, value.street or "", list(value.houses)
    form.places.data = form.offered.data = [place_value(p) for p in value.places]


def _fill_text(form: AnnouncementForm) -> None:
    """«Заполнить текст»: the «Отключение» template written into the text (to be edited freely)."""
    if form.outage_errors():
        return
    addresses = (form.addresses.data or "").strip()  # typed: as typed; else the chosen addresses
    if not addresses:
        try:
            addresses = audiences.describe(audiences.parse(*form.audience_values()))
        except InvalidAudience:
            addresses = ""
    if not addresses:
        form.addresses.errors.append("Выберите адрес выше или впишите адреса сюда.")
        return
    form.text.data = notice_text(form.outage_kind.data, form.resource.data, addresses, form.starts.data,
                                 form.ends.data, form.note.data or "", this_year=local_now().year)


def _save(form: AnnouncementForm, notice: Announcement | None) -> tuple[Announcement | None, str | None]:
    """Check everything, then store the draft; (None, the audience's error) when something is wrong
    (the errors are on the form's fields)."""
    form.text.errors, form.photo.errors = [], []  # checked here, by the services' rules
    audience_error = None
    try:
        audience = audiences.parse(*form.audience_values())
        if not audiences.count(audience):
            audience_error = ("По этому адресу нет жителей, подключённых к Telegram-боту: отправлять некому. "
                              "Выберите другие дома.")
    except InvalidAudience as error:
        audience_error = str(error)
    upload = form.photo.data if isinstance(form.photo.data, FileStorage) and form.photo.data.filename else None
    data = upload.read() if upload is not None else None
    if data is not None:
        try:
            announcements.check_photo(data)
        except AnnouncementError as error:
            form.photo.errors.append(str(error))
    keeps_photo = bool(notice is not None and notice.photo and not form.remove_photo.data)
    with_photo = (data is not None and not form.photo.errors) or keeps_photo
    try:
        text = announcements.check_text(form.text.data, with_photo)
    except AnnouncementError as error:
        form.text.errors.append(str(error))
    if audience_error or form.photo.errors or form.text.errors:
        return None, audience_error

    notice = notice or Announcement(created_by_id=current_user.id)
    old_photo = notice.photo or ""
    if data is not None:
        notice.photo = announcements.store_photo(data)
    elif not keeps_photo:
        notice.photo = ""
    notice.text, notice.audience = text, audience.to_json()
    db.session.add(notice)
    db.session.commit()
    if old_photo and old_photo != notice.photo:  # once the notice no longer names it
        announcements.delete_photo(old_photo)
        db.session.commit()
    return notice, None


@bp.route("/audience")
def audience_block():
    """The addresses part of the form for the values chosen so far (a street of another city is
    dropped, and so on), with the number of recipients: the compose page asks on every change."""
    form = AnnouncementForm(formdata=request.args)
    return render_template("announcements/_audience.html", form=form, audience=_audience_block(form))


def _audience_block(form: AnnouncementForm, error: str | None = None) -> dict:
    """Fill the address lists from the clients' addresses, keep what fits them, and count the
    recipients of the choice."""
    cities = audiences.cities()
    form.city.choices = [SelectChoice(city, city or "(город не указан)") for city in cities]
    if form.city.data not in cities:
        form.city.data = cities[0] if cities else None
    city = form.city.data
    streets = audiences.streets(city) if city is not None else []
    form.street.choices = [SelectChoice("", "все улицы")] + [SelectChoice(street, street) for street in streets]
    if form.street.data not in streets:
        form.street.data = ""
    houses = audiences.houses(city, form.street.data) if form.street.data else []
    form.houses.choices = [SelectChoice(house, house) for house in houses]
    form.houses.data = [house for house in form.houses.data or [] if house in houses]
    offered = places_of((form.offered.data or []) + (form.places.data or []))
    form.offered.data = [place_value(p) for p in offered]
    form.places.choices = [SelectChoice(place_value(p), audiences.describe(Audience(places=(p,)))) for p in offered]
    if form.scope.data == "places" and offered:
        try:
            chosen = audiences.parse(*form.audience_values())
        except InvalidAudience as invalid:
            return {"error": error or str(invalid), "count": 0, "opted_out": 0}
    elif form.scope.data == "all":
        chosen = Audience()
    elif city is None:
        return {"error": error or "В справочнике клиентов нет ни одного адреса.", "count": 0, "opted_out": 0}
    else:
        chosen = Audience(city, form.street.data or None, tuple(form.houses.data))
    return {"error": error, "count": audiences.count(chosen), "opted_out": audiences.opted_out(chosen),
            "words": audiences.describe(chosen)}


# --- a notice: preview, sending, progress, report ---

@bp.route("/<int:announcement_id>")
def view(announcement_id: int):
    """A draft's preview with its recipients and «Отправить»; a sent notice's progress and report."""
    notice = _load(announcement_id)
    audience = announcements.audience_of(notice)
    context = {"notice": notice, "words": audiences.describe(audience)}
    if notice.is_draft:
        context.update(count=audiences.count(audience), opted_out=audiences.opted_out(audience))
    else:
        context.update(_progress(notice))
        if context["state"] != announcements.SENDING:  # the final report: who was not reached
            context.update(unreached=announcements.unreached(notice), unreached_shown=UNREACHED_SHOWN)
    return render_template("announcements/view.html", **context)


@bp.route("/<int:announcement_id>/unreached.xlsx")
def unreached_export(announcement_id: int):
    """Who did not receive the notice and why, as an .xlsx file (the office phones them)."""
    notice = _load(announcement_id)
    if notice.is_draft:
        abort(404)
    day = f"{notice.sent_at.astimezone(current_app.config['TZ']):%Y-%m-%d}"
    return attachment(workbook.write(notice, announcements.unreached(notice)),
                      f"Не_получили_объявление_{day}_№{notice.id}.xlsx", f"unreached_{day}_{notice.id}.xlsx")


@bp.post("/<int:announcement_id>/send")
def send(announcement_id: int):
    """Queue the draft to its recipients, if they are still the number the page showed."""
    notice = _load(announcement_id)
    back = url_for("announcements.view", announcement_id=notice.id)
    expected = request.form.get("recipients", type=int)
    if expected is None:
        return done(back, "Обновите страницу: число получателей не передано. Ничего не отправлено.", "danger")
    try:
        queued = announcements.send(notice, current_user, expected)
    except AnnouncementError as error:
        db.session.rollback()
        return done(back, str(error), "danger")
    db.session.commit()
    return done(back, f"Объявление поставлено в очередь: {count(queued, 'получатель', 'получателя', 'получателей')}. "
                      "Сообщения уходят в пределах ограничений Telegram; сообщения по заявкам идут в первую очередь.")


@bp.post("/<int:announcement_id>/cancel")
def cancel(announcement_id: int):
    """Stop sending: what has not gone out yet is cancelled."""
    notice = _load(announcement_id)
    back = url_for("announcements.view", announcement_id=notice.id)
    if notice.is_draft:
        return done(back, "Объявление ещё не отправлялось.", "warning")
    stopped = announcements.cancel(notice, current_user)
    db.session.commit()
    if not stopped.cancelled and not stopped.in_flight:
        return done(back, "Отправка уже завершена: отменять нечего.", "warning")
    return done(back, stopped_text(stopped))


def stopped_text(stopped: announcements.Stopped) -> str:
    """«Отправка остановлена: 151 сообщение не будет отправлено.», and the few already on their way."""
    text = "Отправка остановлена: " + count(stopped.cancelled, "сообщение не будет отправлено",
                                          "сообщения не будут отправлены", "сообщений не будут отправлены") + "."
    if stopped.in_flight:
        n = stopped.in_flight
        text += (f" Ещё {count(n, 'сообщение', 'сообщения', 'сообщений')} в эту секунду "
                 f"{plural(n, 'передавалось', 'передавались', 'передавались')} в Telegram: "
                 f"{plural(n, 'оно дойдёт', 'они дойдут', 'они дойдут')} и "
                 f"{plural(n, 'будет учтено', 'будут учтены', 'будут учтены')} в отчёте.")
    return text


@bp.post("/<int:announcement_id>/delete")
def delete(announcement_id: int):
    """Delete a draft (sent notices stay in the history)."""
    notice = _load(announcement_id)
    try:
        announcements.delete_draft(notice)
    except AnnouncementError as error:
        return done(url_for("announcements.view", announcement_id=notice.id), str(error), "danger")
    db.session.commit()
    return done(url_for("announcements.index"), "Черновик удалён.")


@bp.route("/<int:announcement_id>/progress")
def progress(announcement_id: int):
    """The progress and report block; the page polls it while messages are waiting."""
    notice = _load(announcement_id)
    return render_template("announcements/_progress.html", notice=notice, **_progress(notice))


def _progress(notice: Announcement) -> dict:
    report = announcements.report(notice)
    state = announcements.state(notice, report)
    rate = max(1, current_app.config["NOTIFY_RATE"])
    return {"report": report, "state": state, "state_label": announcements.STATES[state],
            "minutes_left": math.ceil(report.pending / (rate * 60))}


@bp.route("/<int:announcement_id>/photo")
def photo(announcement_id: int):
    """The notice's photo, for its preview (signed-in staff only)."""
    notice = _load(announcement_id)
    described = storage.info(notice.photo) if notice.photo else None
    if described is None or described.content_type not in PHOTO_TYPES:
        abort(404)
    response = storage.send(notice.photo)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response

