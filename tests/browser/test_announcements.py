"""Announcements in a real browser: composing by address with the live count, the «Отключение»
template, the photo, the preview, sending, live progress, stopping, the report and the history.
The worker's part (rows becoming sent, failed) is played by updating the outbox rows, as it does."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from app.extensions import db
from app.models import Announcement, Notification
from tests.announcements.data import png, seed_residents
from tests.browser.test_journal import log_in
from tests.conftest import OPERATOR_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


@pytest.fixture
def residents(app):
    with app.app_context():
        seed_residents()


def deliver(app, **outcome) -> None:
    """What the worker does: rows of these chats become sent or failed ("sent" / a failure)."""
    with app.app_context():
        for chat_id, result in outcome.items():
            values = {"status": "sent"} if result == "sent" else {"status": "failed", "failure": result}
            db.session.execute(update(Notification).where(Notification.chat_id == int(chat_id.strip("c")))
                               .values(**values))
        db.session.commit()


def open_compose(page):
    log_in(page, "operator", OPERATOR_PASSWORD)
    page.click("nav.mainnav >> text=Объявления")
    page.click("#new-announcement")
    expect(page.locator("h1")).to_have_text("Новое объявление")


def test_compose_from_the_template_with_a_photo_preview_send_and_watch_the_report(app, residents, page):
    open_compose(page)
    count = page.locator("#recipient-count")
    expect(count).to_have_text("6")  # the only city with several streets is chosen: all of Самара
    page.select_option("#street", "ул. Садовая")
    expect(count).to_have_text("5")
    page.check("input[name=houses][value='17']")
    expect(count).to_have_text("3")

    page.click("details.outage summary")
    page.select_option("#resource", "hot_water")
    page.fill("#starts", "2031-03-12T09:00")
    page.fill("#ends", "2031-03-12T18:00")
    page.fill("#note", "Ремонт задвижки в подвале.")
    page.click("#fill-text")
    text = page.locator("textarea[name=text]")
    expect(text).to_have_value(
        re.compile(r"^⚠️ Плановое отключение горячей воды\nАдрес: г\. Самара, ул\. Садовая, д\. 17\n"))
    expect(page.locator("#preview-text")).to_contain_text("Когда: 12 марта 2031 г. с 09:00 до 18:00")
    expect(page.locator("#text-count")).to_contain_text("из 4096 символов")

    page.set_input_files("input[name=photo]",
                         files=[{"name": "схема.png", "mimeType": "image/png", "buffer": png(40, 30)}])
    expect(page.locator("#preview-photo")).to_be_visible()
    expect(page.locator("#text-count")).to_contain_text("из 1024 символов (подпись к фото)")

    page.click("#to-preview")
    expect(page.locator("h1")).to_have_text("Предпросмотр и отправка")
    expect(page.locator("#recipient-count")).to_have_text("3")
    expect(page.locator("#preview-text")).to_contain_text("Ремонт задвижки в подвале.")
    assert page.locator("#preview-photo").evaluate("img => img.complete && img.naturalWidth") == 40

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#send")
    expect(page.locator(".flash")).to_contain_text("Объявление поставлено в очередь: 3 получателя")
    expect(page.locator("#notice-state")).to_have_text("отправляется")
    expect(page.locator("#finished")).to_have_text("0")

    deliver(app, c1001="sent", c1002="sent")
    expect(page.locator("#finished")).to_have_text("2")  # the page polls by itself
    expect(page.locator("#delivered")).to_have_text("2")
    deliver(app, c1003="blocked")
    expect(page.locator("#notice-state")).to_have_text("отправлено")
    expect(page.locator("#blocked")).to_have_text("1")
    expect(page.locator("#cancel-sending")).to_have_count(0)

    page.click(".crumbs a")
    row = page.locator("#announcements tbody tr").first
    expect(row).to_contain_text("Плановое отключение горячей воды")
    expect(row).to_contain_text("2 из 3")


def test_everyone_then_stop_sending_midway(app, residents, page):
    open_compose(page)
    page.check("input[name=scope][value=all]")
    expect(page.locator("#recipient-count")).to_have_text("7")
    expect(page.locator("#street")).to_have_count(0)  # no addresses to choose for everyone
    page.fill("textarea[name=text]", "Завтра с 10 до 12 не работает лифт в подъездах 1–3.")
    expect(page.locator("#preview-text")).to_have_text("Завтра с 10 до 12 не работает лифт в подъездах 1–3.")
    page.click("#to-preview")
    expect(page.locator("#audience-words")).to_have_text("все дома")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#send")
    expect(page.locator("#notice-state")).to_have_text("отправляется")
    deliver(app, c1001="sent", c1002="sent")
    expect(page.locator("#delivered")).to_have_text("2")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#cancel-sending")
    expect(page.locator(".flash")).to_contain_text("Отправка остановлена: 5 сообщений не будут отправлены.")
    expect(page.locator("#notice-state")).to_have_text("остановлено")
    expect(page.locator("#cancelled")).to_have_text("5")
    with app.app_context():
        status = db.session.execute(select(Notification.status).where(Notification.chat_id == 1007)).scalar()
    assert status == "cancelled"


def test_bad_input_is_shown_on_the_form_and_nothing_is_saved(app, residents, page):
    open_compose(page)
    page.fill("textarea[name=text]", "я" * 4100)
    expect(page.locator("#text-count")).to_have_text("4100 из 4096 символов")
    expect(page.locator("#text-count")).to_have_class(re.compile(r"\bover\b"))
    page.set_input_files("input[name=photo]", files=[{"name": "plan.gif", "mimeType": "image/gif",
                                                       "buffer": b"GIF89a\x01\x00\x01\x00"}])
    expect(page.locator("#preview-photo")).to_be_hidden()
    page.click("#to-preview")
    expect(page.locator(".field:has(input[name=photo]) .error")).to_have_text(
        "Это не фото: принимаются только изображения JPEG и PNG.")
    expect(page.locator(".field:has(textarea[name=text]) .error")).to_contain_text("Текст длиннее 4096 символов")
    assert page.console_errors == ["Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"]
    page.console_errors.clear()  # the refused form answers 400, as it should
    expect(page.locator("textarea[name=text]")).to_have_value("я" * 4100)  # nothing typed is lost
    page.fill("textarea[name=text]", "Короткий текст")
    page.click("details.outage summary")
    page.click("#fill-text")  # the template without its start: explained, the text kept
    expect(page.locator("#message-fields .error").first).to_have_text("Укажите, когда начнётся отключение.")
    expect(page.locator("textarea[name=text]")).to_have_value("Короткий текст")
    with app.app_context():
        assert db.session.execute(select(Announcement.id)).all() == []
