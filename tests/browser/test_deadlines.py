"""Deadlines in a real browser: late and due-soon rows look different, the «Просрочка» filter, and
an emergency request announced by the news poll with the desktop notification and sound opted in."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Category
from tests import factories
from tests.browser.test_journal import log_in
from tests.journal.seed import seed_deadline_cases

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]

# Stand-ins for the browser's Notification and Web Audio, recording what the page asks of them
# (injected before the page's own scripts, as the browser's own objects would be there).
RECORDERS = """
window.__notes = [];
window.__tones = 0;
window.Notification = class {
  constructor(title, options) { window.__notes.push({title: title, body: options.body}); }
  static requestPermission() { return Promise.resolve("granted"); }
};
window.Notification.permission = "granted";
window.AudioContext = class {
  constructor() { this.state = "running"; this.currentTime = 0; this.destination = {}; }
  resume() {}
  createOscillator() {
    return {frequency: {}, connect() {}, start() { window.__tones += 1; }, stop() {}};
  }
  createGain() {
    return {gain: {setValueAtTime() {}, exponentialRampToValueAtTime() {}}, connect() {}};
  }
};
"""


@pytest.fixture
def cases(app):
    with app.app_context():
        return seed_deadline_cases()


def background(page, number) -> str:
    return page.locator(f"#journal-body tr:has(td.c-number a:text-is('{number}')) td").nth(1).evaluate(
        "cell => getComputedStyle(cell).backgroundColor")


def test_late_and_due_soon_rows_stand_out_and_the_filter_finds_them(page, cases):
    log_in(page)
    late, soon, calm = (background(page, cases[key][1]) for key in ("late", "soon", "in_time"))
    assert len({late, soon, calm}) == 3  # three different looks
    expect(page.locator("#journal-body tr.late")).to_have_count(1)
    expect(page.locator("#journal-body tr.late td.c-lateness")).to_have_text("1 ч 1 мин")

    page.select_option("#f-overdue", "soon")
    expect(page.locator("#journal-total")).to_contain_text("Найдено: 1")
    expect(page.locator("#journal-body tr.soon td.c-number a")).to_have_text(str(cases["soon"][1]))
    page.select_option("#f-overdue", "emergency")
    expect(page.locator("#journal-body td.c-number")).to_have_text(f"{cases['emergency'][1]} авар.")
    page.select_option("#f-overdue", "")
    page.click("#journal-head th.h-overdue a")  # the nearest deadline first
    expect(page.locator("#journal-body tr").first.locator("td.c-number a")).to_have_text(str(cases["late"][1]))


def test_an_emergency_request_is_announced_with_a_notification_and_a_sound(page, cases, app):
    app.config["JOURNAL_NEWS_POLL_SECONDS"] = 1
    page.add_init_script(RECORDERS)
    log_in(page)
    page.click("#alerts-menu summary")
    page.check("#notify-desktop")
    expect(page.locator("#notify-state")).to_have_text("Уведомления включены.")
    page.check("#notify-sound")
    assert page.evaluate("window.__tones") == 2  # a sample of the signal

    with app.app_context():  # a resident reports sparks in the switchboard meanwhile
        electric = db.session.execute(select(Category).where(Category.name == "Электрика")).scalar_one()
        number = factories.request(category_obj=electric, description="Искрит щиток").number

    announced = page.locator("#journal-news a.news-emergency")
    expect(announced).to_have_text(f"Аварийная заявка № {number}: Электрика / Искрит, г. Самара, ул. Ленина, "
                                   "д. 5А, кв. 12", timeout=5_000)
    page.wait_for_function("window.__notes.length > 0")
    page.wait_for_timeout(2_500)  # more polls: announced once all the same
    assert page.evaluate("window.__notes") == [
        {"title": f"Аварийная заявка № {number}", "body": "Электрика / Искрит, г. Самара, ул. Ленина, д. 5А, кв. 12"}]
    assert page.evaluate("window.__tones") == 4

    announced.click()
    expect(page.locator("h1")).to_have_text(f"Заявка № {number}")
    expect(page.locator("#request-emergency")).to_have_text("аварийная")
    page.go_back()  # the choice is kept in this browser
    expect(page.locator("#notify-desktop")).to_be_checked()
    expect(page.locator("#notify-sound")).to_be_checked()


def test_without_the_opt_in_nothing_pops_up(page, cases, app):
    app.config["JOURNAL_NEWS_POLL_SECONDS"] = 1
    page.add_init_script(RECORDERS)
    log_in(page)
    with app.app_context():
        electric = db.session.execute(select(Category).where(Category.name == "Электрика")).scalar_one()
        factories.request(category_obj=electric, description="Искрит щиток")
    expect(page.locator("#journal-news a.news-emergency")).to_have_count(1, timeout=5_000)
    page.wait_for_timeout(1_500)
    assert page.evaluate("[window.__notes.length, window.__tones]") == [0, 0]
