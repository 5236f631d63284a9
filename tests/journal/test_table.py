"""The journal table over HTTP: filters of every kind, sorting, pages, htmx fragments."""
import re
from datetime import datetime, timezone
from urllib.parse import quote

import pytest

from app.extensions import db
from app.models import Request
from tests.journal.seed import SPECS


def numbers_of(journal, *indexes) -> list[int]:
    return [journal.number(i) for i in indexes]


def newest_first(journal, *indexes) -> list[int]:
    """SPECS rows are one day apart in list order, so newest first is reverse index order."""
    return numbers_of(journal, *sorted(indexes, reverse=True))


def test_journal_lists_every_request_newest_first(staff, journal):
    assert staff.numbers("/") == newest_first(journal, *range(len(SPECS)))
    page = staff.page("/")
    assert "Найдено: <b>9</b>" in page
    assert '<span class="badge s-in_progress">в работе</span>' in page
    assert "ПЕТРОВА Ольга Сергеевна" in page and "+7 921 765-43-21" in page


def test_journal_needs_a_session(client, journal):
    response = client.get("/?status=new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.get("/", headers={"HX-Request": "true", "HX-Target": "journal-body"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")


@pytest.mark.parametrize("column,value,indexes", [
    ("client", "петрова", [3, 2, 8]),            # stored upper case: Cyrillic folds on both backends
    ("client", "ЁЛКИНА", [4, 5]),                # ё/Ё fold too
    ("client", "smith", [6, 7]),
    ("description", "протечка", [4]),           # «ПРОТЕЧКА с потолка»
    ("description", "50%", [6]),                 # % is a literal, not a wildcard
    ("description", "_", [6]),                   # _ is a literal too
    ("street", "МИРА", [2, 3, 8]),
    ("house", "10", [2, 3, 8]),
    ("apartment", "45", [4, 5]),
    ("phone", "8 (921) 765-43-21", [2, 3, 8]),   # a full number typed with the trunk 8
    ("phone", "765-43", [2, 3, 8]),
    ("city", "тольятти", [6, 7]),                # a hidden column still filters
    ("letter", "б", [4, 5]),
])
def test_text_filters_contain_case_insensitively(staff, journal, column, value, indexes):
    assert staff.numbers(f"/?{column}={quote(value)}") == newest_first(journal, *indexes)


@pytest.mark.parametrize("value,indexes", [
    ("1000", [0, 1, 2, 3, 4, 5, 8]),
    ("100002", [2, 3, 8]),
    (" 100 002 ", [2, 3, 8]),
    ("2", [6, 7]),
    ("00002", []),  # the start of the ЛС, not any part of it
    ("1999", []),
    ("20000", [6, 7]),
    ("200004", [6, 7]),
    ("2000049", []),
])
def test_account_filter_matches_the_start(staff, journal, value, indexes):
    assert staff.numbers(f"/?account={quote(value)}") == newest_first(journal, *indexes)


@pytest.mark.parametrize("column,value,indexes", [
    ("status", "new", [0, 3, 7]),
    ("status", "archived", [6]),
    ("status", "open", [0, 1, 2, 3, 4, 7, 8]),     # every status but closed and archived
    ("category", "category:electric", [2, 3, 5, 7]),
    ("executor", "executor:petrov", [1, 4, 6, 8]),
    ("executor", "none", [0, 3, 7]),
])
def test_choice_filters(staff, journal, column, value, indexes):
    value = journal.ids.get(value, value)
    assert staff.numbers(f"/?{column}={value}") == newest_first(journal, *indexes)


def test_subcategory_filter_and_its_list_follow_the_category(app, staff, journal):
    with app.app_context():
        plumbing = db.session.merge(journal.categories["plumbing"])
        electric = db.session.merge(journal.categories["electric"])
        leak = next(s.id for s in plumbing.subcategories if s.name == "Протечка")
        no_light = next(s.id for s in electric.subcategories if s.name == "Нет света")
    assert staff.numbers(f"/?subcategory={leak}") == newest_first(journal, 0, 4, 8)

    page = staff.page(f"/?category={electric.id}")
    select = re.search(r'<select name="subcategory".*?</select>', page, re.S).group(0)
    assert "Нет света" in select and "Протечка" not in select

    # The category changes while a subcategory of the old one is chosen: it no longer applies,
    # and the answer carries the new category's list out of band.
    headers = {"HX-Request": "true", "HX-Target": "journal-body", "HX-Trigger-Name": "category"}
    response = staff.get(f"/?category={electric.id}&subcategory={leak}", headers=headers)
    text = response.get_data(as_text=True)
    assert [int(n) for n in re.findall(r'class="c-number"><a href="/requests/\d+">(\d+)', text)] == \
        newest_first(journal, 2, 3, 5, 7)
    assert 'id="f-subcategory"' in text and 'hx-swap-oob="true"' in text
    assert "Протечка" not in re.search(r'<select name="subcategory".*?</select>', text, re.S).group(0)
    assert response.headers["HX-Push-Url"] == f"/?category={electric.id}"
    assert staff.numbers(f"/?category={electric.id}&subcategory={no_light}") == newest_first(journal, 2, 7)


@pytest.mark.parametrize("query,indexes", [
    ("created_at_from=2024-03-03&created_at_to=2024-03-05", [2, 3, 4]),
    ("created_at_from=03.03.2024&created_at_to=05.03.2024", [2, 3, 4]),  # as people type it
    ("created_at_from=2024-03-08", [7, 8]),
    ("created_at_to=2024-03-01", [0]),
    ("updated_at_from=2024-03-09&updated_at_to=2024-03-09", [8]),
])
def test_date_range_filters(staff, journal, query, indexes):
    assert staff.numbers(f"/?{query}") == newest_first(journal, *indexes)


def test_date_filter_uses_the_local_day(app, staff, journal):
    """22:30 UTC on 2 March is 01:30 on 3 March in Moscow: it belongs to the 3rd."""
    with app.app_context():
        req = db.session.get(Request, journal.requests[0][0])
        req.created_at = datetime(2024, 3, 2, 22, 30, tzinfo=timezone.utc)
        db.session.commit()
    assert journal.number(0) in staff.numbers("/?created_at_from=2024-03-03&created_at_to=2024-03-03")
    assert journal.number(0) not in staff.numbers("/?created_at_from=2024-03-02&created_at_to=2024-03-02")
    assert "03.03.2024 01:30" in staff.page(f"/?number={journal.number(0)}")


@pytest.mark.parametrize("typed", ["{n}", " {n} ", "№ {n}", "№{n}"])
def test_number_filter_is_exact(staff, journal, typed):
    number = journal.number(4)
    assert staff.numbers("/?number=" + quote(typed.format(n=number))) == [number]


def test_filters_combine(staff, journal):
    electric = journal.ids["category:electric"]
    assert staff.numbers(f"/?status=new&category={electric}") == newest_first(journal, 3, 7)
    assert staff.numbers(f"/?status=new&category={electric}&description=ГРАДУС") == newest_first(journal, 7)
    assert staff.numbers(f"/?status=new&category={electric}&created_at_to=2024-03-05") == \
        newest_first(journal, 3)
    page = staff.page(f"/?status=done&category={electric}")
    assert "Ничего не найдено" in page and "Заявок не найдено" in page


@pytest.mark.parametrize("query,where,message", [
    ("created_at_from=2024-02-30", "created_at", "Такой даты нет: «2024-02-30»"),
    ("created_at_from=вчера", "created_at", "Неверная дата «вчера»"),
    ("created_at_to=1999-12-31", "created_at", "вне допустимого диапазона"),
    ("created_at_from=2024-03-05&created_at_to=2024-03-01", "created_at", "Начало периода позже его конца"),
    ("updated_at_to=31.02.2024", "summary", "Изменена: Такой даты нет"),  # a hidden column
    ("number=12a", "number", "Номер заявки — целое число"),
    ("number=" + "9" * 30, "number", "Номер заявки — целое число"),
    ("status=deleted", "status", "Такого значения нет в списке"),
    ("category=999999", "category", "Такого значения нет в списке"),
    ("executor=abc", "executor", "Такого значения нет в списке"),
    ("client=" + "я" * 101, "client", "Слишком длинный текст"),
    ("phone=abc", "phone", "Введите цифры номера телефона"),
    ("account=12А4", "account", "Лицевой счёт состоит из цифр"),
    ("account=" + "1" * 33, "account", "Лицевой счёт длиннее 32 цифр"),
    ("page=0", "page", "Неверный номер страницы «0»"),
    ("page=-3", "page", "Неверный номер страницы"),
    ("page=abc", "page", "Неверный номер страницы «abc»"),
    ("page=" + "9" * 40, "page", "Неверный номер страницы"),
    ("per_page=7", "per_page", "Строк на странице может быть 25, 50, 100 или 200"),
    ("sort=password_hash", "sort", "По этой колонке сортировать нельзя"),
    ("sort=-description", "sort", "По этой колонке сортировать нельзя"),
])
def test_bad_values_get_a_message_and_are_ignored(staff, journal, query, where, message):
    response = staff.get(f"/?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    if where in ("page", "per_page", "sort", "summary"):
        assert re.search(r'<span class="error" role="alert">[^<]*' + re.escape(message), page)
    else:  # next to the filter of that column
        assert re.search(rf'id="ferr-{where}" role="alert">[^<]*' + re.escape(message), page)
    assert len(staff.numbers(f"/?{query}")) == len(SPECS)  # the bad value filters nothing


def test_bad_value_message_reaches_htmx_too(staff, journal):
    headers = {"HX-Request": "true", "HX-Target": "journal-body"}
    response = staff.get("/?number=x&status=new", headers=headers)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in text
    assert re.search(r'id="ferr-number" role="alert" hx-swap-oob="true">Номер заявки', text)
    assert re.search(r'id="ferr-status" role="alert" hx-swap-oob="true"></div>', text)  # cleared
    assert response.headers["HX-Push-Url"] == "/?number=x&status=new"  # Back shows the same view


def test_htmx_gets_rows_and_history_restore_gets_the_page(staff, journal):
    headers = {"HX-Request": "true", "HX-Target": "journal-body"}
    fragment = staff.get("/?status=new&client=&number=&sort=-created_at&page=1", headers=headers)
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<tbody id="journal-body" ')  # the rows first: htmx swaps them in
    assert "<html" not in text and '<tr id="journal-head" class="titles" hx-swap-oob="true">' in text
    assert fragment.headers["HX-Push-Url"] == "/?status=new"  # empty and default values dropped
    assert "HX-Request" in fragment.headers["Vary"]

    restore = staff.get("/?status=new", headers={**headers, "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


@pytest.mark.parametrize("sort,key", [
    ("number", lambda r: r["number"]),
    ("-number", lambda r: -r["number"]),
    ("client", lambda r: (r["client"], r["number"])),
    ("-client", lambda r: (r["client"], r["number"])),
    ("status", lambda r: (r["status"], r["number"])),
    ("created_at", lambda r: r["number"]),
])
def test_sorting(staff, journal, sort, key):
    order = ["new", "assigned", "in_progress", "done", "closed", "archived"]
    names = {"ivanov": "Иванов Иван Иванович", "petrova": "ПЕТРОВА Ольга Сергеевна",
             "yolkina": "Ёлкина Анна", "smith": "Smith John"}
    rows = [{"number": journal.number(i), "client": names[spec[0]], "status": order.index(spec[5])}
            for i, spec in enumerate(SPECS)]
    expected = [r["number"] for r in sorted(rows, key=key, reverse=sort == "-client")]
    assert staff.numbers(f"/?sort={sort}") == expected


def test_sorting_by_executor_puts_empty_last_both_ways(staff, journal):
    for sort in ("executor", "-executor"):
        numbers = staff.numbers(f"/?sort={sort}")
        assert numbers[-3:] == sorted(numbers_of(journal, 0, 3, 7), reverse=sort.startswith("-"))


def test_header_links_sort_and_flip(staff, journal):
    page = staff.page("/?status=new")
    assert 'href="/?status=new&amp;sort=number"' in page           # another column: ascending
    assert 'href="/?status=new&amp;sort=created_at"' in page       # the sorted one: flips
    assert 'aria-sort="descending"' in page
    page = staff.page("/?status=new&sort=number")
    assert 'href="/?status=new&amp;sort=-number"' in page
    assert 'href="/?status=new&amp;sort=-updated_at"' not in page  # updated_at is hidden by default


def test_pagination_pages_are_disjoint_and_stable(app, staff):
    with app.app_context():
        from tests.journal.seed import seed_journal
        seed_journal(extra=51)  # 60 requests; many share a category, so the tie-break matters
    seen = []
    for page in (1, 2, 3):
        numbers = staff.numbers(f"/?per_page=25&sort=category&page={page}")
        seen += numbers
    assert len(seen) == 60 and len(set(seen)) == 60
    text = staff.page("/?per_page=25&page=2")
    assert "Найдено: <b>60</b> · показаны 26–50" in text
    assert 'href="/?per_page=25&amp;page=3"' in text and 'aria-current="page">2<' in text
    # Past the end: the last page, not an error and not an empty table.
    assert staff.numbers("/?per_page=25&page=99") == staff.numbers("/?per_page=25&page=3")
    assert len(staff.numbers("/?per_page=100")) == 60


def test_filter_on_a_hidden_column_is_shown_and_kept(staff, journal):
    page = staff.page("/?city=Тольятти&status=new")
    assert '<span class="chip"' in page and "Город: «Тольятти»" in page
    assert '<input type="hidden" name="city" value="Тольятти">' in page
    assert 'href="/?status=new"' in page  # the chip's ×



def test_open_group_combines_with_other_filters_and_is_offered_first(staff, journal):
    electric = journal.ids["category:electric"]
    assert staff.numbers(f"/?status=open&category={electric}") == newest_first(journal, 2, 3, 7)
    page = staff.page("/?status=open")
    options = re.findall(r'<option value="([^"]*)"', page.split('id="f-status"')[1].split("</select>")[0])
    assert options == ["", "open", "new", "assigned", "in_progress", "done", "closed", "archived"]
    assert '<option value="open" selected>Все незакрытые</option>' in page
