"""A staff photo with a Cyrillic file name, posted to the web app under waitress (the Procfile's
`web:`) byte for byte as clients send it: browsers put the name's raw UTF-8 in filename="..."
(RFC 7578, as tests.web_process.multipart writes it), older clients RFC 2231's
filename*=UTF-8''... Both are stored and shown. A name in another encoding (cp1251, from a Windows
console's curl) cannot be read: the page says so instead of «Форма устарела» (app/form_data.py).

The file's own name is not kept: the thread shows the photo itself («Фото к сообщению») and the
resident gets it in Telegram, where no name is shown either."""
import re

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.form_data import UNREADABLE
from app.models import RequestMessage, RequestPhoto
from app.services import storage
from tests import factories
from tests.conftest import base_config
from tests.images import png
from tests.web_process import WebProcess, csrf_of, multipart

pytestmark = pytest.mark.sqlite_only
PHOTO = png(40, 30)
NAME = "схема стояка.png"


@pytest.fixture(scope="module")
def web(tmp_path_factory, sqlite_template):
    root = tmp_path_factory.mktemp("upload-names")
    process = WebProcess(root, sqlite_template)
    process.app = create_app(base_config(root, f"sqlite:///{root / 'web.db'}"))
    process.signed_in = process.browser()
    assert process.sign_in(process.signed_in, "owner") == 302
    yield process
    process.close()
    with process.app.app_context():
        db.engine.dispose()


def post_message(web, text: str, photo_disposition: bytes):
    with web.app.app_context():
        request_id = factories.request(author_telegram_id=900, author_chat_id=900).id
    browser = web.signed_in
    page = browser.get(f"{web.url}/requests/{request_id}", timeout=30).text
    form = re.search(r'<form[^>]*id="message-form".*?</form>', page, re.S).group(0)
    key = re.search(r'name="key"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="key"', form)
    body, content_type = multipart({"csrf_token": csrf_of(page), "key": key.group(1) or key.group(2), "text": text},
                                   "photo", photo_disposition, PHOTO)
    answer = browser.post(f"{web.url}/requests/{request_id}/messages", data=body, allow_redirects=False,
                          headers={"Content-Type": content_type}, timeout=30)
    return request_id, answer


@pytest.mark.parametrize("disposition", [
    f'filename="{NAME}"'.encode(),                                        # browsers: raw UTF-8
    b"filename*=UTF-8''%D1%81%D1%85%D0%B5%D0%BC%D0%B0%20%D1%81%D1%82%D0%BE%D1%8F%D0%BA%D0%B0.png",  # RFC 2231
], ids=["raw-utf8", "rfc2231"])
def test_a_photo_with_a_cyrillic_name_is_stored_and_shown(web, disposition):
    request_id, answer = post_message(web, "Вот схема стояка", disposition)
    assert answer.status_code == 303, web.log()[-3000:]
    with web.app.app_context():
        [photo] = db.session.execute(select(RequestPhoto).where(RequestPhoto.request_id == request_id)).scalars()
        assert photo.file_path.startswith("db:") and storage.read(photo.file_path) == PHOTO
        assert photo.caption == "Вот схема стояка"
    page = web.signed_in.get(f"{web.url}/requests/{request_id}", timeout=30).text
    src = re.search(r'<img src="(/requests/\d+/photos/\d+)" alt="Фото к сообщению"', page).group(1)
    assert src == f"/requests/{request_id}/photos/{photo.id}"
    shown = web.signed_in.get(web.url + src, timeout=30)
    assert shown.status_code == 200 and shown.content == PHOTO and shown.headers["Content-Type"] == "image/png"


def test_a_name_not_in_utf8_gets_a_page_that_says_so_and_nothing_is_sent(web):
    request_id, answer = post_message(web, "Вот схема стояка", 'filename="схема.png"'.encode("cp1251"))
    assert answer.status_code == 400
    said = " ".join(re.sub(r"<[^>]+>", " ", answer.text).split())
    assert UNREADABLE in said and "Форма устарела" not in said
    with web.app.app_context():
        assert db.session.execute(select(RequestMessage).where(RequestMessage.request_id == request_id)).first() is None
