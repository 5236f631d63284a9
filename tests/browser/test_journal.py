"""The journal and the request page in a real browser: columns, filters, pages, sorting,
export, a status change. Headless Debian Chromium through Playwright."""
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from app.extensions import db
from app.models import Category
from tests import factories
from tests.conftest import ADMIN_PASSWORD
from tests.journal.seed import seed_journal

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


@pytest.fixture
def data(app):
    with app.app_context():
        return seed_journal(extra=40)


def log_in(page, login="admin", password=ADMIN_PASSWORD):
    page.goto("/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Журнал заявок")
    page.wait_for_load_state("load")  # htmx has wired the filters up (it starts on DOMContentLoaded)


def header_titles(page) -> list[str]:
    return [t.strip().rstrip("▲▼").strip() for t in page.locator("#journal-head th").all_inner_texts()]


def column_texts(page, column: int | str) -> list[str]:
    """The texts of one column, given by its position or by its title."""
    index = column if isinstance(column, int) else header_titles(page).index(column) + 1
    return page.locator(f"#journal-body tr td:nth-child({index})").all_inner_texts()


def test_hidden_column_stays_hidden_after_reload_and_new_login(page, data):
    log_in(page)
    assert "Телефон" in header_titles(page)
    page.click("#columns-menu summary")
    page.uncheck("#columns-form input[value=phone]")
    page.check("#columns-form input[value=updated_at]")
    page.click("#columns-form button.primary")
    expect(page.locator(".flash")).to_contain_text("Набор колонок сохранён")
    assert "Телефон" not in header_titles(page)
    assert "Изменена" in header_titles(page)

    page.reload()
    assert "Телефон" not in header_titles(page)
    page.click("header .userbox button")  # log out
    log_in(page)
    assert "Телефон" not in header_titles(page)
    assert "Изменена" in header_titles(page)


def test_filter_by_two_columns_then_page_sort_and_go_back(page, data):
    log_in(page)
    expect(page.locator("#journal-total")).to_contain_text("49")

    page.select_option("#f-status", "new")
    expect(page.locator("#journal-total")).to_contain_text("Найдено: 11")
    page.fill("input[name=client]", "петрова")  # stored as «ПЕТРОВА»: Cyrillic case folding
    expect(page.locator("#journal-total")).to_contain_text("Найдено: 3")
    expect(page).to_have_url(re.compile(r"client=%D0%BF"))
    statuses = page.locator("#journal-body .badge").all_inner_texts()
    assert statuses == ["новая"] * 3
    assert all(name.startswith("ПЕТРОВА") for name in column_texts(page, "ФИО клиента"))

    # Clearing the text filter brings the status-only result back; then pages of 25.
    page.fill("input[name=client]", "")
    expect(page.locator("#journal-total")).to_contain_text("Найдено: 11")
    page.select_option("#f-status", "")
    expect(page.locator("#journal-total")).to_contain_text("Найдено: 49")
    page.select_option("select[name=per_page]", "25")
    expect(page.locator("#journal-total")).to_contain_text("показаны 1–25")
    first_page = column_texts(page, 1)
    page.click("#journal-summary .pagination a:text-is('2')")
    expect(page.locator("#journal-total")).to_contain_text("показаны 26–49")
    expect(page).to_have_url(re.compile(r"page=2"))
    assert len(column_texts(page, 1)) == 24
    assert not set(column_texts(page, 1)) & set(first_page)

    # Sort by number, ascending, then descending.
    page.click("#journal-head a:has-text('Номер')")
    expect(page.locator("#journal-head th.sorted")).to_contain_text("▲")
    numbers = [int(n) for n in column_texts(page, 1)]
    assert numbers == sorted(numbers) and numbers[0] == data.number(0)
    page.click("#journal-head a:has-text('Номер')")
    expect(page.locator("#journal-head th.sorted")).to_contain_text("▼")
    numbers = [int(n) for n in column_texts(page, 1)]
    assert numbers == sorted(numbers, reverse=True)

    # The Back button returns to the previous view, filters and all.
    page.go_back()
    expect(page.locator("#journal-head th.sorted")).to_contain_text("▲")
    page.go_back()
    expect(page.locator("#journal-total")).to_contain_text("показаны 26–49")


def test_export_downloads_the_filtered_sorted_rows(page, data, tmp_path):
    log_in(page)
    page.select_option("#f-category", str(data.ids["category:electric"]))
    expect(page.locator("#f-subcategory option")).to_have_count(3)  # «Все» and the two of Электрика
    page.fill("input[name=description]", "свет")
    total = page.locator("#journal-total")
    expect(total).to_contain_text("Найдено: 1")
    page.fill("input[name=description]", "")
    expect(total).to_contain_text("Найдено: 18")  # 4 of SPECS and 14 extra ones are Электрика
    shown = column_texts(page, 1)
    titles = header_titles(page)

    with page.expect_download() as download_info:
        page.click("#export-button")
    download = download_info.value
    assert re.fullmatch(r"Заявки_\d{4}-\d\d-\d\d_\d\d-\d\d\.xlsx", download.suggested_filename)
    expect(page.locator("#export-status")).to_contain_text("Файл готов")

    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == titles
    assert [str(row[0]) for row in rows[1:]] == shown
    assert all(row[titles.index("Категория")] == "Электрика" for row in rows[1:])


def test_assign_executor_and_move_status_on_request_page(page, data):
    log_in(page)
    number = data.number(0)  # new, no executor
    page.click(f"#journal-body a:text-is('{number}')")
    expect(page.locator("h1")).to_have_text(f"Заявка № {number}")
    expect(page.locator("#request-status")).to_have_text("новая")

    page.select_option("#executor", label="Петров Пётр, Сантехник")
    page.click("#executor-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Заявка назначена исполнителю")
    expect(page.locator("#request-status")).to_have_text("назначена исполнителю")

    page.fill("#status_comment", "Мастер придёт завтра")
    page.click("#status-form button[value=in_progress]")
    expect(page.locator("#request-status")).to_have_text("в работе")
    history = page.locator("#history tbody tr").first
    expect(history).to_contain_text("Анна Администратор")
    expect(history).to_contain_text("Мастер придёт завтра")
    expect(page.locator("#status-form button[value=done]")).to_be_visible()
    expect(page.locator("#status-form button[value=archived]")).to_have_count(0)


def test_new_requests_are_announced_and_shown_on_click(page, data, app):
    app.config["JOURNAL_NEWS_POLL_SECONDS"] = 1
    log_in(page)
    page.select_option("#f-status", "new")
    expect(page.locator("#journal-total")).to_contain_text("Найдено: 11")
    shown = column_texts(page, 1)

    with app.app_context():  # a resident files a request through the bot meanwhile
        category = db.session.execute(db.select(Category).filter_by(name="Электрика")).scalar_one()
        number = factories.request(None, category, description="Не работает домофон").number

    news = page.locator("#journal-news a")
    expect(news).to_have_text("Новых заявок: 1 — показать", timeout=5_000)
    assert column_texts(page, 1) == shown  # the poll never redraws the table by itself
    news.click()
    expect(page.locator("#journal-total")).to_contain_text("Найдено: 12")
    assert column_texts(page, 1)[0] == str(number)
    expect(page.locator("#journal-news a")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"status=new"))
