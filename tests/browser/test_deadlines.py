"""Deadlines in a real browser: late and due-soon rows look different and keep up with the clock on
an open journal, the «Просрочка» filter, and an emergency request announced by the news poll with
the desktop notification and sound opted in."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Category, utcnow
from app.services.requests import deadlines
from tests import factories
from tests.browser.test_journal import header_titles, log_in
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


def filed_due_in(category_name: str, reaction_minutes: int, ago: timedelta) -> int:
    """A request whose reaction is due `reaction_minutes` after its filing `ago`; its number."""
    category = factories.category(category_name, ())
    category.reaction_minutes = reaction_minutes
    request = factories.request(category_obj=category, description=category_name)
    request.created_at = utcnow() - ago
    deadlines.apply_norm(request, deadlines.norm_of(category))
    db.session.commit()
    return request.number


def test_an_open_journal_moves_rows_on_as_their_deadlines_pass(page, app):
    # Half a minute off the round figures, so that the minutes shown do not depend on the test's speed.
    with app.app_context():
        minute = filed_due_in("Лифт", 1, timedelta(seconds=30))     # due in 30 s
        hour = filed_due_in("Уборка", 62, timedelta(seconds=30))    # due in 1 h 1 min 30 s
    page.clock.install()  # the page's timers and clock, moved on by the test
    log_in(page)
    assert "Срок выполнения" in header_titles(page)  # shown by default
    rows = {number: page.locator(f"#journal-body tr:has(td.c-number a:text-is('{number}'))") for number in (minute, hour)}
    expect(rows[minute]).to_have_class(re.compile(r"\bsoon\b"))
    expect(rows[minute].locator("td.c-lateness")).to_have_text("осталось меньше минуты")
    expect(rows[hour]).not_to_have_class(re.compile(r"\b(soon|late)\b"))
    expect(rows[hour].locator("td.c-lateness")).to_have_text("осталось 1 ч 1 мин")

    page.clock.fast_forward("02:00")  # two minutes later, the page not reloaded
    expect(rows[minute]).to_have_class(re.compile(r"\blate\b"))
    expect(rows[minute]).not_to_have_class(re.compile(r"\bsoon\b"))
    expect(rows[minute].locator("td.c-lateness")).to_have_text("2 мин")
    expect(rows[minute].locator("td.c-lateness")).to_have_class(re.compile(r"\blate\b"))
    expect(rows[hour]).to_have_class(re.compile(r"\bsoon\b"))
    expect(rows[hour].locator("td.c-lateness")).to_have_text("осталось 59 мин")


def test_the_page_words_lateness_as_the_server_does(page, cases):
    log_in(page)
    seconds = [-400_000, -90_061, -86_400, -3_661, -3_600, -3_599, -61, -60, -59, -1, 0, 1, 59, 60, 61,
               3_599, 3_600, 3_601, 86_399, 86_400, 90_000, 400_000]
    assert page.evaluate("values => values.map(window.journalLatenessText)", seconds) == [
        deadlines.lateness_text(value) for value in seconds]


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
