"""«Сводка» over HTTP: the page in the menu, what a bad period or category does, the Excel file."""
import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from sqlalchemy import select

from app.extensions import db
from app.models import Category
from app.services.requests import durations
from app.services.statistics.request_stats import PRECISION_TEXT


def test_the_dashboard_is_in_the_menu_for_every_staff_member(staff_client, visitor, ctx):
    for login in ("operator", "admin"):
        page = staff_client(login).page("/")
        assert '<a href="/dashboard" class="">Сводка</a>' in page
    page = staff_client("operator").page("/dashboard")
    assert '<a href="/dashboard" class="active">Сводка</a>' in page
    assert 'src="/static/vendor/chart-4.6.1.umd.min.js"' in page and 'src="/static/dashboard.js"' in page
    assert visitor.get("/dashboard/data").status_code == 302  # the login wall
    assert visitor.get("/dashboard/export").status_code == 302


def test_by_default_the_last_30_days_up_to_today_in_the_company_zone(app, staff_client, ctx):
    data = staff_client("operator").get("/dashboard/data").get_json()
    today = datetime.now(app.config["TZ"]).date()
    assert data["period"] == {"from": str(today - timedelta(days=29)), "to": str(today), "category": None,
                              "category_name": "все категории"}
    assert data["errors"] == {}
    assert [t["key"] for t in data["tiles"]] == ["filed", "in_work", "overdue", "done", "median", "rating"]
    assert [c["key"] for c in data["charts"]] == ["intake", "statuses", "time_by_category", "time_by_executor",
                                                  "overdue_by_executor", "addresses", "ratings",
                                                  "ratings_by_executor", "incidents"]
    assert [t["text"] for t in data["tiles"][-2:]] == ["—", "—"]  # nothing done, nothing rated yet


@pytest.mark.parametrize("query,field,message", [
    ("from=31.02.2024", "from", "Такой даты нет"),
    ("from=2024-03-10&to=2024-03-01", "from", "Начало периода позже его конца"),
    ("from=2020-01-01&to=2024-01-01", "from", "не может быть длиннее трёх лет"),
    ("to=вчера", "to", "укажите её в виде ДД.ММ.ГГГГ"),
    ("category=abc", "category", "Такой категории нет"),
    ("category=999999", "category", "Такой категории нет"),
])
def test_a_bad_value_is_explained_and_the_default_shown(app, staff_client, ctx, query, field, message):
    staff = staff_client("operator")
    data = staff.get(f"/dashboard/data?{query}").get_json()
    assert message in data["errors"][field]
    assert data["period"]["category"] is None
    assert message in staff.page(f"/dashboard?{query}")  # the page says it too


def test_a_period_and_a_category_are_kept_in_the_form(staff_client, ctx):
    category = ctx.category("Лифт", ())
    page = staff_client("operator").page(f"/dashboard?from=01.03.2024&to=2024-03-31&category={category.id}")
    assert 'name="from" value="2024-03-01"' in page and 'name="to" value="2024-03-31"' in page
    assert f'<option value="{category.id}" selected>Лифт</option>' in page
    assert f'href="/dashboard/export?from=01.03.2024&amp;to=2024-03-31&amp;category={category.id}"' in page


def as_shown(cell):
    """An Excel cell as the page shows its figure, read back by its number format; the format must be
    one a figure has (a number is never text)."""
    if cell.value is None:
        return "—"
    if cell.data_type == "s":
        assert cell.number_format == "General"
        return cell.value
    assert cell.data_type in "nd" and cell.number_format in ("0", "[h]:mm", "0.0%", "0.0", "dd.mm.yyyy"), cell
    if cell.number_format == "0":
        assert isinstance(cell.value, int)
        return cell.value
    if cell.number_format == "[h]:mm":  # an Excel duration: a number of days, which openpyxl reads as such
        assert isinstance(cell.value, timedelta)
        return durations.text(round(cell.value.total_seconds() / 60))
    if cell.number_format == "0.0%":
        assert 0 <= cell.value <= 1
        return f"{100 * cell.value:.1f} %".replace(".", ",")
    if cell.number_format == "0.0":
        return f"{cell.value:.1f}".replace(".", ",")
    assert cell.is_date
    return f"{cell.value:%d.%m.%Y}"


def test_the_excel_file_has_the_tiles_and_a_sheet_per_chart(app, history, staff_client):
    """Every figure of the page, as a number with a number format (sortable, chartable); the text cells
    are text."""
    staff = staff_client("operator")
    query = "from=2024-01-20&to=2024-04-05"
    data = staff.get(f"/dashboard/data?{query}").get_json()
    response = staff.get(f"/dashboard/export?{query}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="svodka_2024-01-20_2024-04-05.xlsx"; '
        "filename*=UTF-8''%D0%A1%D0%B2%D0%BE%D0%B4%D0%BA%D0%B0_2024-01-20_2024-04-05.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Сводка", "Поступление", "Статусы", "Срок по категориям", "Срок по исполнителям",
                               "Просрочка по исполнителям", "Адреса", "Оценки", "Оценки по исполнителям", "Аварии"]
    summary = list(book["Сводка"].iter_rows())
    assert [[c.value for c in row] for row in summary[:3]] == [
        ["Показатель", "Значение"], ["Период", "20.01.2024 — 05.04.2024"], ["Категория", "все категории"]]
    tiles = summary[3:3 + len(data["tiles"])]
    assert [(title.value, str(as_shown(value))) for title, value in tiles] == [
        (t["title"], t["text"]) for t in data["tiles"]]
    formats = {t["key"]: (value.data_type, value.number_format) for t, (_, value) in zip(data["tiles"], tiles)}
    assert formats == {"filed": ("n", "0"), "in_work": ("n", "0"), "overdue": ("n", "0"), "done": ("n", "0"),
                       "median": ("d", "[h]:mm"), "rating": ("n", "0.0")}
    assert [c.value for c in summary[-1]] == ["Время до выполнения", PRECISION_TEXT]  # the precision, stated
    for chart, sheet in zip(data["charts"], book.worksheets[1:]):
        rows = list(sheet.iter_rows())
        durations_at = {i for i, title in enumerate(chart["table"]["columns"])
                        if title in ("Медиана", "90-й процентиль")}
        assert [c.value for c in rows[0]] == [title + (" (ч:мм)" if i in durations_at else "")
                                              for i, title in enumerate(chart["table"]["columns"])]
        assert [[as_shown(c) for c in row] for row in rows[1:]] == chart["table"]["rows"]
        assert sheet.freeze_panes == "A2"
    # Each kind of figure is a number of its own format.
    assert {(c.data_type, c.number_format) for c in next(book["Статусы"].iter_rows(min_row=2))} == {
        ("s", "General"), ("n", "0"), ("n", "0.0%")}
    median = book["Срок по категориям"]["C2"]
    assert median.number_format == "[h]:mm" and median.value > timedelta(0)
    assert book["Поступление"]["A2"].is_date and book["Поступление"]["A2"].number_format == "dd.mm.yyyy"
    assert book["Оценки по исполнителям"]["C2"].number_format == "0.0"
    assert isinstance(book["Оценки по исполнителям"]["C2"].value, float)
    # A house whose street was typed as «=ул. Садовая» stays text, even when the cell is edited.
    cell = next(row[0] for row in book["Адреса"].iter_rows(min_row=2) if row[0].value == "=ул. Садовая, д. 3Б")
    assert cell.data_type == "s" and cell.quotePrefix


def test_a_category_filter_narrows_every_figure(app, history, staff_client):
    staff = staff_client("operator")
    with app.app_context():
        lift = db.session.execute(select(Category).where(Category.name == "Лифт")).scalar_one().id
    everything = staff.get("/dashboard/data?from=2024-01-20&to=2024-04-05").get_json()
    lifts = staff.get(f"/dashboard/data?from=2024-01-20&to=2024-04-05&category={lift}").get_json()
    assert lifts["period"]["category_name"] == "Лифт"
    assert 0 < lifts["tiles"][0]["value"] < everything["tiles"][0]["value"]
    assert [s["name"] for s in lifts["charts"][0]["series"]] == ["Лифт"]
    assert date(2024, 1, 20).strftime("%d.%m") == lifts["charts"][0]["labels"][0]
