"""A file over the limit comes back with its form, what was typed kept and the limit said, instead of a
bare 413 page; only a request over MAX_REQUEST_BYTES is refused unread, by waitress as by Flask (issue 17)."""
import http.client
import io
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Announcement, Client, Notification, RequestMessage
from app.telegram.limits import SEND_PHOTO_MAX_BYTES
from tests import factories
from tests.announcements.data import seed_residents
from tests.announcements.test_pages import SADOVAYA_17
from tests.web_process import WebProcess, csrf_of

MB = 2**20
BIG_PHOTO = b"\xff\xd8\xff" + b"0" * (21 * MB)  # over the 20 MB that were the whole request's limit


def test_the_import_says_the_files_limit_and_keeps_the_form(app, admin):
    app.config["MAX_UPLOAD_BYTES"] = MB
    response = admin.post("/admin/clients/import", {"file": (io.BytesIO(b"x" * (3 * MB // 2)), "clients.csv"),
                                                    "dry_run": "y"}, content_type="multipart/form-data")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Файл больше 1 МБ (в этом 1,5 МБ): выберите файл поменьше" in html and "Не больше 1 МБ." in html
    assert re.search(r'<input[^>]*checked[^>]*name="dry_run"|<input[^>]*name="dry_run"[^>]*checked', html)
    assert db.session.execute(select(Client)).first() is None


def test_a_staff_photo_over_the_old_request_limit_comes_back_with_the_text(operator):
    request = factories.request(author_telegram_id=900, author_chat_id=900)
    db.session.commit()
    response = operator.post(f"/requests/{request.id}/messages",
                             {"text": "Вот схема подвала", "photo": (io.BytesIO(BIG_PHOTO), "big.jpg")},
                             content_type="multipart/form-data")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"Фото больше {SEND_PHOTO_MAX_BYTES // MB} МБ" in html and "Вот схема подвала</textarea>" in html
    assert db.session.execute(select(RequestMessage)).first() is None
    assert db.session.execute(select(Notification)).first() is None


def test_an_announcement_photo_over_the_old_request_limit_comes_back_with_the_text(operator):
    seed_residents()
    response = operator.post("/announcements/new", {**SADOVAYA_17, "text": "Завтра не будет воды",
                                                    "photo": (io.BytesIO(BIG_PHOTO), "big.jpg")},
                             content_type="multipart/form-data")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Фото больше 10 МБ" in html and "Завтра не будет воды</textarea>" in html
    assert db.session.execute(select(Announcement)).first() is None


def test_a_request_over_the_request_limit_gets_a_page_that_says_both_limits(app, admin):
    app.config.update(MAX_UPLOAD_BYTES=MB, MAX_CONTENT_LENGTH=2 * MB)
    response = admin.post("/admin/clients/import", {"file": (io.BytesIO(b"x" * (3 * MB)), "clients.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "больше 2 МБ" in html and "выберите файл поменьше (до 1 МБ)" in html


# --- under waitress, started as the Procfile starts it --------------------------------------------

@pytest.fixture
def web(tmp_path, sqlite_template):
    process = WebProcess(tmp_path, sqlite_template, MAX_UPLOAD_BYTES=str(MB), MAX_REQUEST_BYTES=str(2 * MB))
    yield process
    process.close()


@pytest.mark.sqlite_only
def test_under_waitress_a_file_over_the_limit_gets_its_form_and_a_bigger_request_is_refused_unread(web):
    browser = web.browser()
    assert web.sign_in(browser, "owner") == 302
    page = browser.get(web.url + "/admin/clients/import", timeout=30)
    form = {"csrf_token": csrf_of(page.text), "dry_run": "y"}
    over_the_file_limit = browser.post(web.url + "/admin/clients/import", data=form, timeout=60,
                                       files={"file": ("clients.csv", b"x" * (3 * MB // 2))})
    assert over_the_file_limit.status_code == 200, web.log()
    assert "Файл больше 1 МБ (в этом 1,5 МБ)" in over_the_file_limit.text

    # A body over MAX_REQUEST_BYTES: waitress answers as soon as it reads the headers, never buffering
    # the body (with its own default, 1 GB, it would wait for the body this client never sends).
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=30)
    connection.putrequest("POST", "/admin/clients/import")
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", str(2 * MB + 1))
    connection.endheaders()
    refused = connection.getresponse()
    assert refused.status == 413 and b"Request Entity Too Large" in refused.read()
    connection.close()

    at_the_limit = browser.post(web.url + "/admin/clients/import", data=form, timeout=60,
                                files={"file": ("clients.csv", b"x" * (2 * MB - 4096))})
    assert at_the_limit.status_code == 200 and "Файл больше 1 МБ" in at_the_limit.text
