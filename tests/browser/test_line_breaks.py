"""What the trial saw: a 40-line notice the counter shows as «4096 из 4096» is taken by the server, whose
browser posts its line breaks as \r\n (issue 17, defect 3). Headless Debian Chromium."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Announcement
from tests.announcements.data import seed_residents
from tests.browser.test_announcements import open_compose
from tests.web.test_line_breaks import lines

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


def test_a_notice_at_the_counters_limit_is_accepted(app, page):
    with app.app_context():
        seed_residents()
    open_compose(page)
    page.select_option("#street", "ул. Садовая")
    page.check("input[name=houses][value='17']")
    text = lines(40, 4096)
    page.fill("textarea[name=text]", text)
    expect(page.locator("#text-count")).to_have_text("4096 из 4096 символов")
    page.click("#to-preview")
    expect(page.locator("h1")).to_have_text("Предпросмотр и отправка")
    with app.app_context():
        assert db.session.execute(select(Announcement.text)).scalar_one() == text
