"""Which journal columns a user sees: chosen in a menu, kept in their profile."""
import re

import pytest

from app.extensions import db
from app.journal.columns import DEFAULT_KEYS
from tests import factories


def titles(page: str) -> list[str]:
    head = re.search(r'<tr id="journal-head".*?</tr>', page, re.S).group(0)
    return [re.sub(r"<[^>]+>|[▲▼]", "", t).strip() for t in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]


def test_defaults(staff, journal):
    page = staff.page("/")
    assert titles(page) == ["Номер", "Новые сообщения", "Авария", "Создана", "Статус", "Просрочка", "Срок выполнения", "Категория",
                            "Подкатегория", "ФИО клиента", "ЛС", "Улица", "Дом", "Кв.", "Телефон", "Исполнитель",
                            "Описание"]
    assert re.search(r'value="city"\s*>', page)  # offered, unchecked


def test_choice_is_saved_per_user_and_survives_a_new_login(app, staff, journal):
    response = staff.post("/journal/columns", data={
        "columns": ["status", "client", "letter", "bogus"], "query": "status=new&page=2"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/?status=new&page=2"  # back to the same view
    assert titles(staff.page("/")) == ["Номер", "Статус", "ФИО клиента", "Литера"]  # «Номер» is required
    with app.app_context():
        assert factories.staff("operator").get_journal_columns() == ["number", "status", "client", "letter"]
        assert factories.staff("admin").get_journal_columns() is None  # other users keep theirs

    staff.logout()
    staff.login("operator")
    assert titles(staff.page("/")) == ["Номер", "Статус", "ФИО клиента", "Литера"]
    staff.logout()
    staff.login("admin")
    assert len(titles(staff.page("/"))) == len(DEFAULT_KEYS)


def test_reset_to_defaults(app, staff, journal):
    staff.post("/journal/columns", data={"columns": ["status"]})
    response = staff.post("/journal/columns", data={"columns": ["status"], "reset": "1"})
    assert "Колонки журнала возвращены" in staff.page(response.headers["Location"])
    assert len(titles(staff.page("/"))) == len(DEFAULT_KEYS)
    with app.app_context():
        assert factories.staff("operator").journal_columns is None


def test_rows_follow_the_columns(staff, journal):
    staff.post("/journal/columns", data={"columns": ["city", "description"]})
    page = staff.page(f"/?number={journal.number(6)}")
    row = re.search(r'<tbody id="journal-body"[^>]*>(.*?)</tbody>', page, re.S).group(1)
    assert re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) == [
        f'<a href="/requests/{journal.requests[6][0]}">{journal.number(6)}</a><input type="checkbox" class="pick" '
        f'name="request" value="{journal.requests[6][0]}" form="incident-pick" '
        f'aria-label="Выбрать заявку № {journal.number(6)}">', "Тольятти",
        "Скидка 50% и under_score"]


@pytest.mark.parametrize("query,location", [
    ("//evil.example/x", "/"),
    ("https://evil.example", "/"),
    ("status=new&next=//evil.example", "/?status=new&next=%2F%2Fevil.example"),
    ("", "/"),
])
def test_the_return_address_stays_on_the_journal(staff, journal, query, location):
    response = staff.post("/journal/columns", data={"columns": ["status"], "query": query})
    assert response.headers["Location"] == location


def test_saving_needs_csrf(staff, journal):
    assert staff.client.post("/journal/columns", data={"columns": ["status"]}).status_code == 400


def test_unreadable_saved_value_falls_back_to_defaults(app, staff, journal):
    with app.app_context():
        factories.staff("operator").journal_columns = "{not json"
        db.session.commit()
    assert len(titles(staff.page("/"))) == len(DEFAULT_KEYS)
