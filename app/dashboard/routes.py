"""«Сводка»: the page (static/dashboard.js draws it), its figures as JSON, and as an Excel file.

A period and a category come in the query string: `from`, `to` (local days) and `category`. A bad
value is ignored and explained, as in the journal; the figures are then those of the default.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, jsonify, render_template, request

from app.dashboard import bp, workbook
from app.dashboard.figures import Period, compute
from app.extensions import db
from app.journal.filters import FilterError, parse_date
from app.models import Category
from app.services.statistics.request_stats import PRECISION_TEXT
from app.timezone import local_now
from app.web import parse_id
from app.xlsx import attachment

PRESETS = (7, 30, 90, 365)  # the period's quick choices, in days up to today
DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


@dataclass
class Query:
    period: Period
    errors: dict[str, str] = field(default_factory=dict)  # parameter -> message


def parse_query(args) -> Query:
    today = local_now().date()
    errors, ends = {}, {}
    for name in ("from", "to"):
        text = args.get(name, "").strip()[:40]
        if text:
            try:
                ends[name] = parse_date(text)
            except FilterError as error:
                errors[name] = str(error)
    end = ends.get("to", today)
    start = ends.get("from", end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        errors["from"] = "Начало периода позже его конца: показаны последние 30 дней."
    elif (end - start).days >= MAX_DAYS:
        errors["from"] = "Период не может быть длиннее трёх лет: показаны последние 30 дней."
    if "from" in errors:
        start, end = today - timedelta(days=DEFAULT_DAYS - 1), today

    category_id = None
    raw = args.get("category", "").strip()
    if raw:
        category_id = parse_id(raw)
        if category_id is None or db.session.get(Category, category_id) is None:
            errors["category"] = "Такой категории нет: показаны все категории."
            category_id = None
    return Query(Period(start, end, category_id), errors)


@bp.route("")
def index():
    """The dashboard page: the period and category form; the figures arrive as JSON."""
    query = parse_query(request.args)
    categories = db.session.execute(Category.ordered(Category.id, Category.name, Category.active)).all()
    return render_template("dashboard/index.html", query=query, period=query.period, categories=categories,
                           presets=PRESETS, today=local_now().date(),
                           precision=PRECISION_TEXT)


@bp.route("/data")
def data():
    """Every figure of the period: tiles, and for each chart its series and its table."""
    query = parse_query(request.args)
    figures = compute(query.period, current_app.config["TZ"])
    response = jsonify({**figures.as_dict(), "errors": query.errors})
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/export")
def export():
    """The same figures as an .xlsx file: a sheet of tiles, then one per chart's table."""
    query = parse_query(request.args)
    figures = compute(query.period, current_app.config["TZ"])
    period = query.period
    name = f"Сводка_{period.start:%Y-%m-%d}_{period.end:%Y-%m-%d}.xlsx"
    ascii_name = f"svodka_{period.start:%Y-%m-%d}_{period.end:%Y-%m-%d}.xlsx"
    return attachment(workbook.write(figures), name, ascii_name)
