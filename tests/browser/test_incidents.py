"""Incidents in a real browser: ticking journal rows and «Объединить в аварию», the incident's column and
filter, and «Возможно, авария» announced in the open journal with «Объединить»."""
import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Category, Client, Subcategory
from app.services.requests import lifecycle
from tests.browser.test_journal import column_texts, log_in
from tests.incidents.conftest import seed_riser

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


@pytest.fixture
def riser(app):
    with app.app_context():
        return seed_riser()


def test_ticked_rows_become_an_incident_shown_in_the_journal(page, riser):
    log_in(page)
    merge = page.locator("#merge-button")
    expect(merge).to_be_disabled()
    for number in riser.numbers[:2]:
        page.get_by_label(f"Выбрать заявку № {number}").check()
    expect(merge).to_have_text("Объединить в аварию (2)")
    merge.click()
    expect(page.locator("h1")).to_have_text("Новая авария")
    expect(page.locator("#chosen-requests h2")).to_have_text("Заявки (2)")
    page.fill("#description", "Прорыв стояка холодной воды")
    page.click("#incident-form button.primary")
    expect(page.locator("h1")).to_have_text("Авария № 1")
    expect(page.locator("#incident-count")).to_have_text("2")
    expect(page.locator("#incident-addresses")).to_have_text("г. Самара, ул. Ленина, д. 24")

    page.click("nav.mainnav >> text=Журнал заявок")
    page.wait_for_load_state("load")
    page.fill("input[name=incident]", "1")
    expect(page.locator("#journal-total")).to_contain_text("Найдено: 2")
    assert sorted(column_texts(page, "Авария")) == ["№ 1", "№ 1"]
    assert sorted(int(n) for n in column_texts(page, 1)) == riser.numbers[:2]


def test_a_probable_incident_is_announced_in_the_open_journal_and_merged(page, app):
    app.config["JOURNAL_NEWS_POLL_SECONDS"] = 1
    with app.app_context():
        seed_riser()
    log_in(page)
    suspect = page.locator("#journal-news .news-suspect")
    expect(suspect).to_contain_text("Возможно, авария: 6 заявок «Водоснабжение» по ул. Ленина, 24", timeout=5_000)
    with app.app_context():  # two more from ул. Ленина, 30 make a second group
        water = db.session.execute(db.select(Category).filter_by(name="Водоснабжение")).scalar_one()
        no_water = db.session.execute(db.select(Subcategory).filter_by(name="Нет воды")).scalar_one()
        client = db.session.execute(db.select(Client).filter_by(house="30")).scalar_one()
        for n in range(2):
            lifecycle.create_request(client=client, category=water, subcategory=no_water, description=f"Тоже {n}")
        db.session.commit()
    expect(suspect).to_have_count(2, timeout=5_000)
    expect(suspect.nth(1)).to_contain_text("Возможно, авария: 3 заявки «Водоснабжение» по ул. Ленина, 30")
    suspect.nth(1).get_by_role("link", name="Объединить").click()
    expect(page.locator("h1")).to_have_text("Новая авария")
    expect(page.locator("#chosen-requests h2")).to_have_text("Заявки (3)")


def test_ticks_survive_pages_and_filters_and_are_merged_together(page, app, riser):
    with app.app_context():  # 24 more from ул. Ленина, 24: 31 rows, two pages of 25
        water = db.session.get(Category, riser.category)
        no_water = db.session.get(Subcategory, riser.subcategory)
        client = db.session.get(Client, riser.clients[0])
        for n in range(24):
            lifecycle.create_request(client=client, category=water, subcategory=no_water, description=f"Снова {n}")
        db.session.commit()
    log_in(page)
    merge, summary = page.locator("#merge-button"), page.locator("#picked-summary")
    expect(summary).to_be_hidden()
    page.select_option("select[name=per_page]", "25")
    expect(page.locator("#journal-total")).to_contain_text("показаны 1–25")
    newest = column_texts(page, 1)[0]
    page.get_by_label(f"Выбрать заявку № {newest}").check()
    expect(summary).to_contain_text("Выбрано: 1")
    page.click("#journal-summary .pagination a:text-is('2')")
    expect(page.locator("#journal-total")).to_contain_text("показаны 26–31")
    oldest = page.get_by_label(f"Выбрать заявку № {riser.numbers[0]}")
    expect(oldest).not_to_be_checked()
    oldest.check()
    expect(merge).to_have_text("Объединить в аварию (2)")
    expect(summary).to_contain_text("Выбрано: 2")
    # A filter redraws the rows: a ticked one shown again is still ticked.
    page.fill("input[name=number]", newest)
    expect(page.locator("#journal-total")).to_contain_text("Найдено: 1")
    expect(page.get_by_label(f"Выбрать заявку № {newest}")).to_be_checked()
    expect(merge).to_have_text("Объединить в аварию (2)")
    merge.click()
    expect(page.locator("h1")).to_have_text("Новая авария")
    expect(page.locator("#chosen-requests h2")).to_have_text("Заявки (2)")
    expect(page.locator("#chosen-requests")).to_contain_text(f"№ {riser.numbers[0]}")
    expect(page.locator("#chosen-requests")).to_contain_text(f"№ {newest}")
    page.fill("#description", "Прорыв стояка холодной воды")
    page.click("#incident-form button.primary")
    expect(page.locator("#incident-count")).to_have_text("2")

    # The ticks went to the incident: the journal starts afresh; «Снять выбор» clears new ones.
    page.click("nav.mainnav >> text=Журнал заявок")
    page.wait_for_load_state("load")
    expect(merge).to_be_disabled()
    expect(summary).to_be_hidden()
    box = page.locator("#journal-body input.pick").first
    box.check()
    expect(summary).to_contain_text("Выбрано: 1")
    page.click("#unpick")
    expect(merge).to_be_disabled()
    expect(box).not_to_be_checked()
    expect(summary).to_be_hidden()
