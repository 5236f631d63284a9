"""The conversation in a real browser: the thread on the request page (writing, a photo, delivery
states that follow), the unread badge, filter and announcement in the journal, and the rating
columns in the export. Headless Debian Chromium through Playwright."""
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select, update

from app.extensions import db
from app.models import Notification, Request, RequestPhoto
from app.services.requests import conversation
from app.telegram.limits import SEND_PHOTO_MAX_BYTES
from tests.browser.test_journal import column_texts, header_titles, log_in
from tests.images import png
from tests.journal.seed import seed_journal

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]

PNG = png()


@pytest.fixture
def data(app, tmp_path):
    """The journal's requests; the first one filed in Telegram, with two resident messages and a photo."""
    app.config["JOURNAL_NEWS_POLL_SECONDS"] = 1
    (tmp_path / "storage" / "photos").mkdir(parents=True)
    (tmp_path / "storage" / "photos" / "leak.png").write_bytes(PNG)
    with app.app_context():
        journal = seed_journal()
        request = db.session.get(Request, journal.requests[0][0])
        request.author_telegram_id = request.author_chat_id = 900
        conversation.add_resident_message(request, 900, "Кран капает даже ночью")
        message = conversation.add_resident_message(request, 900, "Вот фото", photo=("f1", "u1"))
        db.session.flush()
        db.session.execute(update(RequestPhoto).where(RequestPhoto.message_id == message.id)
                           .values(file_path="photos/leak.png"))
        db.session.commit()
    return journal


def test_the_thread_on_the_request_page(page, app, data):
    log_in(page)
    expect(page.locator("#journal-body .unread-badge").first).to_have_text("2")
    page.click(f"#journal-body a:text-is('{data.number(0)}')")
    thread = page.locator("#thread")
    expect(thread.locator(".msg.from-resident")).to_have_count(2)
    expect(thread.locator(".msg.new")).to_have_count(2)
    expect(thread).to_contain_text("Кран капает даже ночью")
    expect(thread.locator("img[alt='Фото к сообщению']")).to_be_visible()

    # A photo over Telegram's limit is stopped in the browser, before anything is sent.
    page.set_input_files("#photo", files=[{"name": "big.jpg", "mimeType": "image/jpeg",
                                           "buffer": b"\xff\xd8\xff" + b"0" * SEND_PHOTO_MAX_BYTES}],
                         timeout=60_000)  # 10 MB through the driver's pipe: slow on a loaded host
    expect(page.locator("#photo-error")).to_contain_text("Фото больше 10 МБ")
    page.fill("#text", "Мастер придёт завтра с 9 до 12")
    page.click("#message-form button[type=submit]")
    expect(page.locator("#photo-error")).to_contain_text("Фото больше 10 МБ")  # still here: not sent
    page.set_input_files("#photo", files=[{"name": "схема.png", "mimeType": "image/png", "buffer": PNG}])
    expect(page.locator("#photo-error")).to_have_text("")
    page.click("#message-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Сообщение поставлено в очередь")
    mine = page.locator("#thread .msg.from-staff")
    expect(mine).to_contain_text("Мастер придёт завтра с 9 до 12")
    expect(mine.locator("img")).to_be_visible()
    expect(mine.locator(".delivery")).to_have_text("в очереди")
    expect(page.locator("#thread .msg.new")).to_have_count(0)  # read when the page was opened

    with app.app_context():  # the bot worker delivers it
        db.session.execute(update(Notification).where(Notification.kind == "message").values(status="sent"))
        db.session.commit()
    expect(mine.locator(".delivery")).to_have_text("доставлено")  # the page follows by itself
    with app.app_context():  # the resident answers meanwhile
        conversation.add_resident_message(db.session.get(Request, data.requests[0][0]), 900, "Спасибо, жду")
        db.session.commit()
    expect(page.locator("#thread .msg.from-resident").last).to_contain_text("Спасибо, жду")


# Whether the page's reader can see it, as the test says (Playwright tells every page that it is
# visible and focused): a background tab until `window.__seen` is set.
SEEN_SWITCH = """
window.__seen = false;
Object.defineProperty(document, "visibilityState", {get: function () { return window.__seen ? "visible" : "hidden"; }});
Object.defineProperty(document, "hidden", {get: function () { return !window.__seen; }});
document.hasFocus = function () { return window.__seen; };
"""


def test_a_background_request_page_leaves_new_messages_unread_until_seen(page, app, data):
    page.add_init_script(SEEN_SWITCH)
    log_in(page)
    number = data.number(0)
    page.click(f"#journal-body a:text-is('{number}')")
    expect(page.locator("#thread .msg.from-resident")).to_have_count(2)  # opening the page read them

    with app.app_context():  # the resident writes while the page waits in a background tab
        conversation.add_resident_message(db.session.get(Request, data.requests[0][0]), 900, "Вода всё ещё капает")
        db.session.commit()
    expect(page.locator("#thread .msg.new", has_text="Вода всё ещё капает")).to_have_count(1)  # the poll brought it
    expect(page.locator("#thread .msg.new")).to_have_count(1)
    for _ in range(2):  # and goes on polling
        with page.expect_response(lambda response: response.url.endswith("/thread")):
            pass
    journal = page.context.new_page()
    journal.goto("/")
    badge = journal.locator(f"#journal-body tr:has(td.c-number a:text-is('{number}')) .unread-badge")
    expect(badge).to_have_text("1")  # nobody has read it

    page.evaluate("window.__seen = true; window.dispatchEvent(new Event('focus'))")  # the dispatcher looks
    expect(page.locator("#thread .msg.new")).to_have_count(0)  # marked read, as the next poll shows
    expect(page.locator("#thread .msg.from-resident").last).to_contain_text("Вода всё ещё капает")
    journal.reload()
    expect(badge).to_have_count(0)
    journal.close()


def test_unread_badge_filter_and_announcement_in_the_journal(page, app, data):
    log_in(page)
    expect(page.locator("#journal-body .unread-badge")).to_have_count(1)
    page.select_option("#f-unread", "yes")
    expect(page.locator("#journal-total")).to_contain_text("Найдено: 1")
    page.select_option("#f-unread", "")
    expect(page.locator("#journal-total")).to_contain_text("Найдено: 9")

    with app.app_context():  # a resident writes about another request (a «Нет» counts the same)
        request = db.session.get(Request, data.requests[3][0])
        request.author_telegram_id = request.author_chat_id = 901
        conversation.add_resident_message(request, 901, "Розетка снова искрит")
        db.session.commit()
    news = page.locator("#journal-news a.news-messages")
    expect(news).to_have_text("Новых сообщений от жителей: 1 — показать", timeout=5_000)
    news.click()
    expect(page).to_have_url(re.compile(r"unread=yes"))
    expect(page.locator("#journal-total")).to_contain_text("Найдено: 2")
    assert sorted(column_texts(page, 1)) == sorted([str(data.number(0)), str(data.number(3))])

    page.click(f"#journal-body a:text-is('{data.number(3)}')")
    expect(page.locator("#thread")).to_contain_text("Розетка снова искрит")
    page.click(".crumbs a")  # back to the journal as it was: the one just read is gone from it
    expect(page.locator("#journal-total")).to_contain_text("Найдено: 1")


def test_rating_and_verdict_columns_in_the_export(page, app, data, tmp_path):
    with app.app_context():
        for index, verdict, rating in ((5, "confirmed", 5), (6, "confirmed", 2), (1, "returned", None)):
            request = db.session.get(Request, data.requests[index][0])
            request.verdict, request.rating = verdict, rating
        db.session.commit()
    log_in(page)
    page.click("#columns-menu summary")
    page.check("#columns-form input[value=rating]")
    page.check("#columns-form input[value=verdict]")
    page.click("#columns-form button.primary")
    expect(page.locator(".flash")).to_contain_text("Набор колонок сохранён")
    titles = header_titles(page)
    assert titles[1] == "Новые сообщения" and titles[-2:] == ["Оценка", "Ответ жителя"]
    page.select_option("#f-verdict", "confirmed")
    expect(page.locator("#journal-total")).to_contain_text("Найдено: 2")

    with page.expect_download() as download_info:
        page.click("#export-button")
    path = tmp_path / "export.xlsx"
    download_info.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert list(rows[0]) == titles
    got = {row[0]: row[-2:] for row in rows[1:]}
    assert got == {data.number(5): (5, "подтвердил"), data.number(6): (2, "подтвердил")}
    with app.app_context():
        assert db.session.execute(select(Request.verdict).where(Request.id == data.requests[1][0])).scalar() \
            == "returned"  # the filter left it out
