"""Deadlines in the journal over HTTP: the columns, late and due-soon rows, the «Просрочка» filter,
sorting by the nearest deadline, the export, emergencies in the news poll, category corrections."""
import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from app.extensions import db
from app.journal import query
from app.journal.columns import BY_KEY
from app.models import Category, Request, RequestEvent, Subcategory
from tests import factories
from tests.journal.test_export import download, run_export
from tests.journal.test_news import news_url


def numbers(cases, *keys):
    return [cases[k][1] for k in keys]


def row_classes(page: str) -> dict[int, str]:
    """Request number -> the class of its journal row."""
    rows = re.findall(r'<tr data-href="/requests/\d+"(?: class="([^"]*)")?(?: data-due="\d+")?>\s*'
                      r'<td class="c-number"><a[^>]*>(\d+)</a>', page)
    return {int(number): cls for cls, number in rows}


def cells(page: str, number: int) -> list[str]:
    row = re.search(rf'<tr data-href[^>]*>\s*<td class="c-number"><a[^>]*>{number}</a>.*?</tr>', page, re.S).group(0)
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_late_rows_and_rows_due_within_the_hour_are_highlighted_differently(staff, cases):
    classes = row_classes(staff.page("/"))
    assert classes == {
        cases["late"][1]: "late", cases["soon"][1]: "soon", cases["in_time"][1]: "",
        cases["done_late"][1]: "", cases["no_norm"][1]: "", cases["emergency"][1]: " emergency"}


def test_deadline_columns_show_the_deadlines_and_the_lateness(app, staff, cases):
    staff.post("/journal/columns", data={"columns": ["reaction_due", "completion_due", "overdue", "status"]})
    page = staff.page("/")
    with app.app_context():
        late = db.session.get(Request, cases["late"][0])
        due = late.reaction_due_at.astimezone(app.config["TZ"]).strftime("%d.%m.%Y %H:%M")
        completion = late.completion_due_at.astimezone(app.config["TZ"]).strftime("%d.%m.%Y %H:%M")
    assert cells(page, cases["late"][1]) == [str(cases["late"][1]), "новая", "1 ч 1 мин", due, completion]
    assert cells(page, cases["soon"][1])[2] == "осталось 29 мин"
    assert cells(page, cases["in_time"][1])[2] == "осталось 2 ч 59 мин"
    assert cells(page, cases["done_late"][1])[2] == "1 ч 40 мин"  # how late it was done
    assert cells(page, cases["no_norm"][1])[2:] == ["", "", ""]
    assert cells(page, cases["emergency"][1])[0] == f"{cases['emergency'][1]} авар."


@pytest.fixture(params=["deadlines first", "sort index first"])
def page_plan(request, monkeypatch):
    """Both ways a filtered page is read (query.PROBE_ABOVE): they must show the same rows."""
    if request.param == "sort index first":
        monkeypatch.setattr(query, "PROBE_ABOVE", 0)
    return request.param


@pytest.mark.parametrize("value,expected", [
    ("overdue", ["late"]),
    ("soon", ["soon"]),
    ("in_time", ["emergency", "in_time"]),
    ("missed", ["late", "done_late"]),
    ("emergency", ["emergency"]),
])
def test_the_deadline_filter(app, staff, cases, page_plan, value, expected):
    assert staff.numbers(f"/?overdue={value}") == numbers(cases, *expected)  # newest first
    with app.app_context():
        state = query.parse_state({"overdue": value}, query.load_choices())
        page = str(state.page_statement([BY_KEY["number"]], app.config["TZ"], total=len(expected)))
    # With many matches the deadline is compared row by row, so that SQLite walks the newest first.
    assert ("coalesce(requests.due_at" in page) == (page_plan == "sort index first" and value != "emergency")


def test_the_deadline_filter_refuses_what_it_does_not_offer(staff, cases):
    page = staff.page("/?overdue=late")
    assert "Такого значения нет в списке" in page
    assert len(staff.numbers("/?overdue=late")) == 6


def test_sorting_by_the_nearest_deadline(staff, cases):
    nearest = staff.numbers("/?sort=overdue")
    # Most late first, then the soonest due; those with nothing pending last, oldest first.
    assert nearest == numbers(cases, "late", "soon", "in_time", "emergency", "done_late", "no_norm")
    assert staff.numbers("/?sort=-overdue") == numbers(cases, "emergency", "in_time", "soon", "late",
                                                     "no_norm", "done_late")
    head = staff.page("/")
    assert 'href="/?sort=overdue"' in head  # the first click sorts the nearest first


def test_export_has_the_deadlines_and_the_lateness(app, staff, cases):
    staff.post("/journal/columns", data={"columns": ["reaction_due", "overdue"]})
    response, sheet = download(staff, run_export(staff, overdue="missed"))
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Номер", "Просрочка", "Срок реакции")
    with app.app_context():
        due = {key: db.session.get(Request, cases[key][0]).reaction_due_at.astimezone(app.config["TZ"])
               for key in ("late", "done_late")}
    assert [(number, text) for number, text, _ in rows[1:]] == [
        (cases["late"][1], "1 ч 1 мин"), (cases["done_late"][1], "1 ч 40 мин")]
    for (_, _, written), key in zip(rows[1:], ("late", "done_late")):
        # A real date cell in local time (Excel keeps milliseconds).
        assert abs(written - due[key].replace(tzinfo=None)) < timedelta(milliseconds=1)


def test_the_filter_on_a_hidden_column_is_named_in_a_chip(staff, cases):
    staff.post("/journal/columns", data={"columns": ["status"]})
    page = staff.page("/?overdue=emergency")
    assert "Просрочка: аварийные" in unescape(page)
    assert staff.numbers("/?overdue=emergency") == numbers(cases, "emergency")


def test_the_news_poll_announces_an_emergency_whatever_the_filters(app, staff, cases):
    url = news_url(staff.page("/?category=999999&overdue=overdue"))  # filters no new request matches
    with app.app_context():
        electric = db.session.execute(select(Category).where(Category.name == "Электрика")).scalar_one()
        factories.request(category_obj=db.session.execute(  # an ordinary one: not announced
            select(Category).where(Category.name == "Прочее")).scalar_one())
        emergency = factories.request(category_obj=electric, description="Искрит щиток")  # «Искрит» comes first
        assert emergency.emergency
        emergency_id, emergency_number = emergency.id, emergency.number
    answer = staff.page(url)
    links = re.findall(r'<a class="news-emergency" href="/requests/(\d+)"[^>]*data-title="([^"]+)"', answer)
    assert links == [(str(emergency_id), f"Аварийная заявка № {emergency_number}")]
    assert "Электрика / Искрит, г. Самара, ул. Ленина, д. 5А, кв. 12" in answer
    assert "Новых заявок" not in answer  # neither matches the page's filters


def test_a_dispatcher_corrects_the_category_and_the_deadlines_follow(app, staff, cases):
    request_id, number = cases["late"]
    with app.app_context():
        sparks = db.session.execute(select(Subcategory).where(Subcategory.name == "Искрит")).scalar_one()
        sparks_id, electric_id = sparks.id, sparks.category_id
    page = staff.page(f"/requests/{request_id}")
    assert "Срок реакции" in page and "просрочен на 1 ч 1 мин" in page
    response = staff.post(f"/requests/{request_id}/category", data={
        "category": str(electric_id), "subcategory": str(sparks_id), "category_comment": "Это электрика"})
    assert response.status_code == 303
    page = staff.page(response.headers["Location"])
    assert f"Категория заявки № {number}: Электрика / Искрит. Сроки пересчитаны" in page
    assert 'id="request-emergency"' in page
    assert "осталось 59 мин" in page  # 3 h from filing, 2 h ago
    assert "Категория: Сантехника → Электрика / Искрит" in page
    with app.app_context():
        event = db.session.execute(select(RequestEvent).where(RequestEvent.kind == "category")).scalar_one()
        assert (event.comment, event.actor_label) == ("Это электрика", "Олег Оператор")
    assert row_classes(staff.page("/"))[number] == "soon emergency"  # no longer late: due within the hour


@pytest.mark.parametrize("data,code,message", [
    ({"category": "999999"}, 400, "Такой категории нет"),
    ({"category": "", "subcategory": ""}, 400, "Выберите категорию"),
    ({"subcategory": "999999"}, 400, "Такой подкатегории нет"),
])
def test_a_bad_category_correction_is_explained(app, staff, cases, data, code, message):
    request_id = cases["late"][0]
    with app.app_context():
        plumbing_id = db.session.get(Request, request_id).category_id
    response = staff.post(f"/requests/{request_id}/category", data={"category": str(plumbing_id), **data})
    assert response.status_code == code
    assert message in response.get_data(as_text=True)


def test_a_subcategory_of_another_category_is_refused(app, staff, cases):
    request_id = cases["late"][0]
    with app.app_context():
        sparks = db.session.execute(select(Subcategory).where(Subcategory.name == "Искрит")).scalar_one()
        plumbing_id = db.session.get(Request, request_id).category_id
        sparks_id = sparks.id
    response = staff.post(f"/requests/{request_id}/category",
                          data={"category": str(plumbing_id), "subcategory": str(sparks_id)})
    assert response.status_code == 409
    assert "Подкатегория не относится к выбранной категории" in response.get_data(as_text=True)
