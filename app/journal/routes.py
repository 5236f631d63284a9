"""The request journal: table, filters, sorting, pages, column choice, Excel export."""
from urllib.parse import parse_qsl, urlencode

from flask import abort, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import func, select

from app import htmx
from app.extensions import db
from app.journal import bp, export
from app.journal import total as journal_total
from app.journal.columns import COLUMNS, visible_columns
from app.journal.query import PAGE_SIZES, load_choices, parse_state
from app.models import Request, RequestMessage, utcnow
from app.models.conversation import RESIDENT, stars, verdict_label
from app.plural import plural
from app.services.incidents import early_warning
from app.services.requests import deadlines
from app.services.requests.categories import active_subcategories
from app.web import parse_id

JOURNAL_QUERY_KEY = "journal_query"  # the last journal view, for "back to the journal" links
EMERGENCIES_SHOWN = 5  # the newest emergency requests the news line names one by one


@bp.route("/")
def index():
    """Request journal: the filtered, sorted, paginated table (just the rows for htmx)."""
    tz = current_app.config["TZ"]
    choices = load_choices()
    state = parse_state(request.args, choices)
    columns = visible_columns(current_user.get_journal_columns())

    rows, total, pages = journal_total.page(state, columns, tz)

    # Requests and resident messages that arrive later (from the bot, other dispatchers) have greater ids.
    newest_id = db.session.execute(select(func.max(Request.id))).scalar() or 0
    newest_message = db.session.execute(select(func.max(RequestMessage.id))).scalar() or 0
    news_url = url_for("journal.news") + "?" + urlencode(
        [*state.params(page=None), ("after", newest_id), ("after_message", newest_message)])

    query = state.query_string()
    if session.get(JOURNAL_QUERY_KEY) != query:
        session[JOURNAL_QUERY_KEY] = query
    context = dict(
        state=state, columns=columns, all_columns=COLUMNS, rows=rows, total=total, pages=pages,
        choices=choices, page_sizes=PAGE_SIZES,
        hidden_filters=state.described([c for c in COLUMNS if c not in columns]),
        query=query, news_url=news_url, news_poll=current_app.config["JOURNAL_NEWS_POLL_SECONDS"],
        now=utcnow(),
    )
    if htmx.wants_fragment(target="journal-body"):
        context["subcategory_changed"] = htmx.trigger_name() == "category"
        response = make_response(render_template("journal/_results.html", **context))
        response.headers["HX-Push-Url"] = journal_url(query)
        return response
    return render_template("journal/index.html", **context)


@bp.route("/journal/news")
def news():
    """How many requests matching the journal's filters arrived after the page was drawn, how many
    messages from their residents (a «Нет» to «Проблема решена?» among them) nobody has read yet,
    and every emergency request that arrived, whatever the filters.

    The open journal asks every JOURNAL_NEWS_POLL_SECONDS and shows links to refresh, rather
    than redrawing the table under a dispatcher who is reading it; an emergency is announced
    with a link of its own (and, if the dispatcher asked for it, a desktop notification and a sound).
    """
    after, after_message = _id_param("after"), _id_param("after_message", required=False)
    tz = current_app.config["TZ"]
    state = parse_state(request.args, load_choices())
    arrived = db.session.execute(state.count_statement(tz).where(Request.id > after)).scalar_one()
    messages = 0
    if after_message is not None:  # a page drawn before messages existed does not ask
        messages = db.session.execute(
            select(func.count(RequestMessage.id)).join(Request, Request.id == RequestMessage.request_id)
            .where(RequestMessage.id > after_message, RequestMessage.sender == RESIDENT,
                   RequestMessage.read_at.is_(None), *state.conditions(tz))
        ).scalar_one()
    emergencies = db.session.execute(
        select(Request).where(Request.id > after, deadlines.condition("emergency"))
        .order_by(Request.id.desc()).limit(EMERGENCIES_SHOWN)).scalars().all()
    params = state.params(page=None)
    return render_template(
        "journal/_news.html", suspects=early_warning.suspects(), arrived=arrived, href=journal_url(urlencode(params)), messages=messages,
        unread_href=journal_url(urlencode([(n, v) for n, v in params if n != "unread"] + [("unread", "yes")])),
        emergencies=emergencies)


def _id_param(name: str, required: bool = True) -> int | None:
    """A starting point of the news poll: 0 or an id; anything else is a bad request."""
    value = request.args.get(name)
    if value is None and not required:
        return None
    if value != "0" and parse_id(value) is None:
        abort(400)
    return int(value)


def journal_url(query: str = "") -> str:
    """The journal's address with this query string."""
    return url_for("journal.index") + (f"?{query}" if query else "")


def journal_back_url() -> str:
    """The journal as the user last saw it (filters, sort, page)."""
    return journal_url(session.get(JOURNAL_QUERY_KEY, ""))


def page_window(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page numbers to link: first, last and a few around the current one; None marks a gap."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for number in shown:
        if out and number - out[-1] > 1:
            out.append(None)
        out.append(number)
    return out


@bp.app_context_processor
def _journal_helpers():
    return {"journal_back_url": journal_back_url, "page_window": page_window, "deadline_state": deadlines.state,
            "deadline_soon_seconds": int(deadlines.SOON.total_seconds()), "plural": plural}


@bp.app_template_filter("lateness")
def format_lateness(seconds) -> str:
    return deadlines.lateness_text(seconds)


@bp.app_template_filter("num")
def format_number(value) -> str:
    """12 345 (a narrow no-break space between thousands, as Russian text has it)."""
    return f"{value or 0:,}".replace(",", "\u202f")


bp.add_app_template_filter(verdict_label, "verdict_label")
bp.add_app_template_filter(stars, "stars")


@bp.post("/journal/columns")
def save_columns():
    """Save which columns this user sees, or go back to the defaults."""
    if request.form.get("reset"):
        current_user.set_journal_columns(None)
        flash("Колонки журнала возвращены к набору по умолчанию.", "success")
    else:
        chosen = set(request.form.getlist("columns"))
        keys = [c.key for c in COLUMNS if c.key in chosen or c.required]
        current_user.set_journal_columns(keys)
        flash("Набор колонок сохранён.", "success")
    db.session.commit()
    # Only our own parameters go back into the URL: no open redirect through `query`.
    query = urlencode(parse_qsl(request.form.get("query", "").lstrip("?"))[:40])
    return redirect(journal_url(query), 303)


@bp.route("/journal/subcategories")
def subcategory_options():
    """The subcategory list of the chosen category (the new-request form asks on every change)."""
    category_id = parse_id(request.args.get("category"))
    options = active_subcategories(category_id) if category_id is not None else []
    return render_template("journal/_subcategory_select.html", options=options, selected="")


@bp.post("/journal/export")
def export_start():
    """Start an Excel export of the filtered, sorted rows (all pages, visible columns)."""
    tz = current_app.config["TZ"]
    state = parse_state(request.form, load_choices())
    columns = visible_columns(current_user.get_journal_columns())
    total = db.session.execute(state.count_statement(tz)).scalar_one()
    if total > export.EXCEL_MAX_ROWS:
        job = {"state": "error", "message": (
            f"Найдено {total:,} {plural(total, 'строка', 'строки', 'строк')}, а в лист Excel помещается "
            f"не больше {export.EXCEL_MAX_ROWS:,}. Уточните фильтры.").replace(",", " ")}
    else:
        # The file says what it holds: the filters in words and the order, on a sheet of their own.
        conditions = [(column.title, text) for column, text in state.described()] or [("Фильтры", "нет")]
        job = export.start(current_app._get_current_object(), current_user.id,
                           state.rows_statement(columns, tz, with_id=False), columns, total,
                           filters=[*conditions, ("Сортировка", state.sort_description)])
    return render_template("journal/_export.html", job=job)


@bp.route("/journal/export/<job_id>")
def export_status(job_id: str):
    """Progress of an export (the page polls it), then the download link."""
    job = export.status(current_user.id, job_id)
    if job is None:
        abort(404)
    return render_template("journal/_export.html", job=job)


@bp.post("/journal/export/<job_id>/cancel")
def export_cancel(job_id: str):
    """Stop a running export."""
    if not export.cancel(current_user.id, job_id):
        abort(404)
    return render_template("journal/_export.html", job=export.status(current_user.id, job_id))


@bp.route("/journal/export/<job_id>/file")
def export_file(job_id: str):
    """Download a finished export."""
    response = export.download(current_user.id, job_id)
    if response is None:
        abort(404)
    return response
