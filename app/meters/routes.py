"""«Показания»: a month of readings (one row per meter), an operator's entry, the review of readings
that need checking, the export for billing, the accounts without readings, the summary by house."""
import os
import tempfile

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.extensions import db
from app.meters import bp
from app.meters.forms import ReadingForm, ReviewForm
from app.meters.workbook import write_missing, write_readings
from app.models.meters import RESOURCES, SOURCES, STATUSES, SUSPICIOUS, SWAP, Meter, MeterReading
from app.services import storage
from app.services.meters import month, readings, values, window
from app.xlsx import attachment

IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}


def _period():
    return month.parse_month(request.args.get("month"), window.period_of(window.today()))


@bp.app_template_filter("meter_value")
def meter_value_filter(value, frac_digits: int = 3) -> str:
    return values.show(value, frac_digits)


@bp.route("/")
def index():
    period = _period()
    filters = month.Filters.parse(request.args, RESOURCES)
    number = max(1, request.args.get("page", 1, type=int) or 1)
    shown = month.page(period, filters, number, after=month.Cursor.parse(request.args.get("after")),
                       before=month.Cursor.parse(request.args.get("before")))
    rows = shown.rows
    if not shown.earlier:
        number = 1  # a «Назад» that reached the first rows
    earlier = month.last_before([r.meter_id for r in rows if r.reading_id is None], period)
    args = {k: v for k, v in request.args.items() if k not in ("page", "after", "before")}
    return render_template(
        "meters/index.html", rows=rows, shown=shown, number=number, period=period, filters=filters,
        cursor=month.Cursor.of, earlier=earlier, months=month.months_around(window.period_of(window.today())),
        choices=month.address_choices(filters), house_key=month.house_key, resources=RESOURCES, sources=SOURCES, states=month.STATES,
        statuses=STATUSES, args=args, review_form=ReviewForm(), attention=(SUSPICIOUS, SWAP),
        window=window.current())


@bp.route("/<int:meter_id>/reading", methods=["GET", "POST"])
def enter(meter_id: int):
    """An operator enters a reading taken by phone (replacing the month's reading, if any)."""
    meter = db.get_or_404(Meter, meter_id)
    period = _period()
    form = ReadingForm()
    error = None
    if form.validate_on_submit():
        raw = [form.v1.data, form.v2.data, form.v3.data][:meter.kind.rate_count]
        try:
            typed = tuple(values.parse(v, meter.int_digits, meter.frac_digits) for v in raw)
            readings.enter_by_operator(meter, period, typed, current_user.id, form.checked.data)
            db.session.commit()
            flash(f"Показание счётчика № {meter.serial} за {period:%m.%Y} сохранено.", "success")
            return redirect(url_for("meters.index", month=f"{period:%Y-%m}", house=month.house_key(
                meter.client.city, meter.client.street, meter.client.house, meter.client.house_letter)))
        except (values.InvalidValue, readings.ReadingRefused) as exc:
            db.session.rollback()
            error = str(exc)
    base = readings.baseline(meter, period)
    current = readings.live_reading(meter.id, period)
    return render_template("meters/enter.html", meter=meter, form=form, error=error, period=period, base=base,
                           current=current)


@bp.route("/readings/<int:reading_id>/review", methods=["POST"])
def review(reading_id: int):
    """Accept or reject a reading that needs checking; the resident is told."""
    reading = db.get_or_404(MeterReading, reading_id)
    form = ReviewForm()
    accept = request.form.get("decision") == "accept"
    back = request.form.get("back") or ""
    back = back if back.startswith("/meters") and not back.startswith("//") else url_for("meters.index")
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(back, 303)
    try:
        readings.review(reading, accept, current_user.id, form.comment.data or "")
        db.session.commit()
        flash("Показание принято." if accept else "Показание отклонено: житель получит комментарий.", "success")
    except readings.ReadingRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(back, 303)


def _download(write, name: str, ascii_name: str, *args):
    """Write the workbook into a temporary file and send it; the file goes when the response is sent."""
    handle, path = tempfile.mkstemp(suffix=".xlsx", dir=current_app.instance_path)
    os.close(handle)
    try:
        write(path, *args)
    except BaseException:
        os.unlink(path)
        raise
    file = open(path, "rb")
    os.unlink(path)  # the open file stays readable until the response closes it
    return attachment(file, name, ascii_name)


@bp.route("/export.xlsx")
def export():
    """The month's readings for billing: one row per meter and rate, numbers as numbers."""
    period = _period()
    filters = month.Filters.parse(request.args, RESOURCES)
    tz = current_app.config["TZ"]

    def write(path):
        with db.engine.connect() as conn:
            rows = conn.execution_options(yield_per=2000).execute(month.export_statement(period, filters))
            write_readings(path, rows, tz)
    return _download(write, f"Показания_{period:%Y-%m}.xlsx", f"readings-{period:%Y-%m}.xlsx")


@bp.route("/missing.xlsx")
def missing():
    """The accounts with a meter but no reading this month (to phone them)."""
    period = _period()

    def write(path):
        with db.engine.connect() as conn:
            write_missing(path, conn.execution_options(yield_per=2000).execute(month.missing_accounts(period)))
    return _download(write, f"Без_показаний_{period:%Y-%m}.xlsx", f"missing-readings-{period:%Y-%m}.xlsx")


@bp.route("/summary")
def summary():
    """«Сводка»: the share of meters reported this month, by house."""
    period = _period()
    shares = month.summary(period)
    total = sum(s.meters for s in shares)
    reported = sum(s.reported for s in shares)
    return render_template("meters/summary.html", period=period, shares=shares, total=total, reported=reported,
                           months=month.months_around(window.period_of(window.today())), house_key=month.house_key)


@bp.route("/readings/<int:reading_id>/photo")
def photo(reading_id: int):
    """The photo a resident sent with the reading, from the file store (an image, or nothing)."""
    reading = db.session.get(MeterReading, reading_id)
    described = storage.info(reading.photo_path) if reading is not None and reading.photo_path else None
    if described is None or described.content_type not in IMAGE_TYPES:
        abort(404)
    response = storage.send(reading.photo_path)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
