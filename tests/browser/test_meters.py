"""«Показания» in a real browser: the month's rows, the filters, an operator's entry, rejecting a
suspicious reading with a comment, the export download, the summary; no console errors (CSP)."""
import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Notification
from app.services.meters import readings, window
from tests.browser.test_journal import log_in
from tests.conftest import OPERATOR_PASSWORD
from tests.factories import client
from tests.meters.helpers import meter

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


@pytest.fixture
def month(app):
    with app.app_context(), app.test_request_context():
        period = window.period_of(window.today())
        a = client("100001", "Иванов Иван", street="ул. Ленина", house="5", house_letter="", apartment="1")
        b = client("100002", "Петрова Анна", street="пр. Мира", house="7", house_letter="", apartment="2")
        ma = meter(a, serial="A-1", initial=(100,))
        meter(b, resource="hot", serial="B-2", initial=(10,))
        readings.store(ma, period, (190_000,), source="bot", status="suspicious", chat_id=555, telegram_user_id=555)
        db.session.commit()


def test_the_month_filters_entry_review_and_export(app, month, page):
    log_in(page, "operator", OPERATOR_PASSWORD)
    page.click("nav.mainnav >> text=Показания")
    expect(page.locator("h1")).to_have_text("Показания счётчиков")
    rows = page.locator("table.meter-readings tbody tr")
    expect(rows).to_have_count(2)

    page.select_option("select[name=state]", "missing")
    page.click("#meter-filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("B-2")

    rows.first.locator("text=Ввести").click()
    page.fill("input[name=v1]", "9")
    page.click("button:has-text('Сохранить')")
    expect(page.locator(".flash-danger")).to_contain_text("меньше предыдущего (10,000)")
    page.fill("input[name=v1]", "12,5")
    page.click("button:has-text('Сохранить')")
    expect(page.locator(".flash-success")).to_contain_text("сохранено")
    expect(page.locator("table.meter-readings")).to_contain_text("оператор")

    page.goto("/meters/?state=attention")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("требует проверки")
    rows.first.locator("input[name=comment]").fill("На фото 119")
    rows.first.locator("button:has-text('Отклонить')").click()
    expect(page.locator(".flash-success")).to_contain_text("житель получит комментарий")
    expect(page.locator("p.empty")).to_be_visible()
    with app.app_context():
        assert "На фото 119" in Notification.query.filter_by(chat_id=555).one().text

    page.goto("/meters/")
    with page.expect_download() as download:
        page.click("#export-link")
    assert download.value.suggested_filename == f"Показания_{window_month(app)}.xlsx"
    page.click("text=Сводка по домам")
    expect(page.locator("#meters-total")).to_contain_text("Передано: 1 из 2")


def window_month(app) -> str:
    with app.app_context(), app.test_request_context():
        return f"{window.period_of(window.today()):%Y-%m}"
