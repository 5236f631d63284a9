"""The conversation in the journal: the unread column and filter, the rating and verdict columns
and filters, new resident messages in the «новое» announcement, and the export."""
import re
from html import unescape

import pytest

from app.extensions import db
from app.models import Request
from app.services.requests import conversation
from tests import factories
from tests.journal.test_export import download, run_export
from tests.journal.test_news import news_url


@pytest.fixture
def talk(app, journal):
    """Resident messages on some of the journal's requests; verdicts and ratings on others."""
    with app.app_context():
        def req(index):
            return db.session.get(Request, journal.requests[index][0])
        for index, count in ((0, 2), (2, 1)):
            for n in range(count):
                conversation.add_resident_message(req(index), 900, f"сообщение {n}")
        for index, verdict, rating in ((4, "asked", None), (5, "confirmed", 5), (6, "confirmed", 2),
                                       (1, "returned", None), (3, "auto_closed", None)):
            req(index).verdict, req(index).rating = verdict, rating
        db.session.commit()
    return journal


def cells(page: str, css: str) -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(rf'<td class="{css}">(.*?)</td>', page)]


def test_unread_badge_filter_and_sort(staff, talk):
    page = staff.page("/?sort=number")
    assert cells(page, "c-unread") == ["2", "", "1", "", "", "", "", "", ""]
    assert '<span class="unread-badge" title="Новых сообщений от жителя: 2">2</span>' in page
    assert staff.numbers("/?unread=yes&sort=number") == [talk.number(0), talk.number(2)]
    assert len(staff.numbers("/?unread=no")) == 7
    assert staff.numbers("/?sort=-unread")[:2] == [talk.number(0), talk.number(2)]  # most first
    assert "Найдено: <b>2</b>" in staff.page("/?unread=yes")


def test_opening_a_request_takes_it_off_the_unread_filter(staff, talk):
    staff.page(f"/requests/{talk.requests[0][0]}")
    assert staff.numbers("/?unread=yes") == [talk.number(2)]


@pytest.mark.parametrize("value,indexes", [
    ("5", [5]), ("low", [6]), ("any", [5, 6]), ("none", [0, 1, 2, 3, 4, 7, 8]),
])
def test_rating_filter(staff, talk, value, indexes):
    assert staff.numbers(f"/?rating={value}&sort=number") == [talk.number(i) for i in indexes]


@pytest.mark.parametrize("value,indexes", [
    ("asked", [4]), ("confirmed", [5, 6]), ("returned", [1]), ("auto_closed", [3]),
])
def test_verdict_filter(staff, talk, value, indexes):
    assert staff.numbers(f"/?verdict={value}&sort=number") == [talk.number(i) for i in indexes]


def test_rating_and_verdict_columns_are_offered_and_shown(staff, talk):
    page = staff.page("/")
    assert re.search(r'value="rating"\s*>', page) and re.search(r'value="verdict"\s*>', page)  # hidden by default
    staff.post("/journal/columns", {"columns": ["rating", "verdict"]})
    page = staff.page("/?sort=number")
    assert "★★★★★ (5)" in cells(page, "c-rating") and "★★☆☆☆ (2)" in cells(page, "c-rating")
    assert '<span class="verdict v-returned">вернул в работу</span>' in page
    assert '<span class="verdict v-auto_closed">закрыта автоматически</span>' in page
    page = staff.page("/?sort=verdict")
    sorted_by_verdict = page[page.index('id="journal-body"'):]
    order = [sorted_by_verdict.index(t) for t in ("ждём ответа", "вернул в работу", "подтвердил", "закрыта автоматически")]
    assert order == sorted(order)


@pytest.mark.parametrize("query", ["rating=6", "verdict=maybe", "unread=3"])
def test_a_bad_value_is_explained_not_applied(staff, talk, query):
    page = staff.page(f"/?{query}")
    assert "Такого значения нет в списке" in page and "Найдено: <b>9</b>" in page


def test_the_announcement_counts_new_unread_resident_messages_under_the_filters(app, staff, talk):
    url = news_url(staff.page(f"/?category={talk.ids['category:plumbing']}"))
    assert "after_message=" in url and staff.page(url).strip() == ""
    with app.app_context():
        plumbing, electric = (db.session.get(Request, talk.requests[i][0]) for i in (0, 2))
        conversation.add_resident_message(plumbing, 900, "Вода всё ещё бежит")
        conversation.add_resident_message(plumbing, 900, "", photo=("f", "u"))
        conversation.add_resident_message(electric, 900, "другая категория")
        plumbing.author_chat_id = 900
        conversation.add_staff_message(plumbing, factories.staff("admin"), "ответ сотрудника")  # not news
        db.session.commit()
    answer = staff.page(url)
    assert "Новых сообщений от жителей: 2 — показать" in answer and "Новых заявок" not in answer
    link = unescape(re.search(r'class="news-link news-messages" href="([^"]+)"', answer).group(1))
    assert f"category={talk.ids['category:plumbing']}" in link and link.endswith("unread=yes")
    assert staff.numbers(link) == [talk.number(0)]

    staff.page(f"/requests/{talk.requests[0][0]}")  # a colleague read them meanwhile
    assert staff.page(url).strip() == ""


@pytest.mark.parametrize("after_message", ["", "-1", "abc", "99999999999"])
def test_a_bad_message_starting_point_is_refused(staff, talk, after_message):
    assert staff.get(f"/journal/news?after=0&after_message={after_message}").status_code == 400


def test_an_old_page_without_the_message_starting_point_still_polls(staff, talk):
    response = staff.get("/journal/news?after=0")
    assert response.status_code == 200 and "Новых заявок: 9" in response.get_data(as_text=True)


def test_the_export_carries_unread_rating_and_verdict(staff, talk):
    staff.post("/journal/columns", {"columns": ["unread", "rating", "verdict"]})
    _, sheet = download(staff, run_export(staff, sort="number"))
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Номер", "Новые сообщения", "Оценка", "Ответ жителя")  # in the journal's order
    by_number = {row[0]: row[1:] for row in rows[1:]}
    assert by_number[talk.number(0)] == (2, None, None)
    assert by_number[talk.number(5)] == (None, 5, "подтвердил")
    assert by_number[talk.number(6)] == (None, 2, "подтвердил")
    assert by_number[talk.number(1)] == (None, None, "вернул в работу")
    assert by_number[talk.number(3)] == (None, None, "закрыта автоматически")
    assert by_number[talk.number(4)] == (None, None, "ждём ответа")
