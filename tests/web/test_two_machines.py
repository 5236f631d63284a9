"""Two machines, no shared disk: two waitress processes (`python wsgi.py`) and the bot worker, each
with its own empty STORAGE_DIR, on one database. Whatever one of them keeps, the others show:
a resident's photo filed through the bot, a staff photo uploaded through one web process (and
sent by the worker), and on PostgreSQL an export started on one and downloaded from the other,
which ends with a sentence on the other when the first one dies in the middle."""
import re
import shutil

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Request, RequestPhoto
from tests.bot.conftest import BotWorld, seed
from tests.conftest import PG_URL, truncate_postgres
from tests.images import png
from tests.web_process import WebProcess, csrf_of

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("two_machines")]

RESIDENT_PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4096  # 1 MB and a bit: two chunks
STAFF_PHOTO = png(40, 30)


class Machines:
    def __init__(self, root, database_url: str, engine: str):
        self.engine = engine
        self.world = BotWorld(root / "worker", database_url)
        seed(self.world.app)
        self.world.worker.start()
        self.webs = [WebProcess(root / f"web{n}", None, database_url=database_url) for n in (1, 2)]
        self.browsers = []
        for web in self.webs:
            browser = web.browser()
            assert web.sign_in(browser, "owner") == 302
            self.browsers.append(browser)

    def storage_dirs(self):
        return [self.world.storage] + [web.storage for web in self.webs]

    def close(self):
        for web in self.webs:
            web.close()
        self.world.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def machines(request, tmp_path_factory, sqlite_template):
    root = tmp_path_factory.mktemp("machines")
    if request.param == "sqlite":
        shutil.copy(sqlite_template, root / "shared.db")
        url = f"sqlite:///{root / 'shared.db'}"
    else:
        if not PG_URL:
            pytest.skip("TEST_DATABASE_URL is not set")
        url = request.getfixturevalue("postgres_ready")
        truncate_postgres(url)
    for name in ("worker", "web1", "web2"):
        (root / name).mkdir()
    setup = Machines(root, url, request.param)
    yield setup
    setup.close()


def no_files_on_disk(machines) -> bool:
    return not [p for d in machines.storage_dirs() if d.exists() for p in d.rglob("*") if p.is_file()]


def file_with_photo(machines) -> tuple[int, int]:
    """A resident files a request with a photo through the bot; (request id, photo id) once the
    worker has downloaded the photo."""
    world = machines.world
    r = world.identified("100001", "+79123456789")
    r.send("Создать заявку")
    r.expect("Выберите категорию")
    r.press("Сантехника")
    r.press("Протечка")
    r.expect("Опишите проблему")
    r.send_photo(RESIDENT_PHOTO, caption="Течёт под раковиной")
    r.expect("Фото добавлено (1 из 10)")
    r.send("Готово")
    r.expect("Описание принято")
    r.expect("Проверьте заявку", "Фото: 1")
    r.press("Да, это мой номер")
    number = int(re.search(r"Заявка № (\d+)", r.expect("Заявка №").text).group(1))

    def downloaded():
        with world.app.app_context():
            return db.session.execute(select(RequestPhoto.request_id, RequestPhoto.id)
                                      .join(Request).where(Request.number == number, RequestPhoto.file_path != "")
                                      ).first()
    assert world.api.wait_until(downloaded, 20)
    return tuple(downloaded())


def test_a_photo_filed_through_the_bot_shows_on_both_web_processes(machines):
    request_id, photo_id = file_with_photo(machines)
    for web, browser in zip(machines.webs, machines.browsers):
        url = f"{web.url}/requests/{request_id}/photos/{photo_id}"
        response = browser.get(url, timeout=30)
        assert response.status_code == 200 and response.content == RESIDENT_PHOTO
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["Cache-Control"] == "private, max-age=86400"
        again = browser.get(url, headers={"If-None-Match": response.headers["ETag"]}, timeout=30)
        assert again.status_code == 304 and not again.content  # the browser's copy is good
        assert f"/requests/{request_id}/photos/{photo_id}" in browser.get(f"{web.url}/requests/{request_id}",
                                                                           timeout=30).text
        assert web.browser().get(url, allow_redirects=False, timeout=30).status_code == 302  # signed in only
    assert no_files_on_disk(machines)


def test_a_staff_photo_uploaded_through_one_is_sent_by_the_worker_and_shown_by_the_other(machines):
    request_id, _ = file_with_photo(machines)
    web, browser = machines.webs[0], machines.browsers[0]
    page = browser.get(f"{web.url}/requests/{request_id}", timeout=30).text
    form = re.search(r'<form[^>]*id="message-form".*?</form>', page, re.S).group(0)
    key = re.search(r'name="key"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="key"', form)
    answer = browser.post(f"{web.url}/requests/{request_id}/messages", allow_redirects=False, timeout=30,
                          data={"csrf_token": csrf_of(page), "key": key.group(1) or key.group(2),
                                "text": "Вот схема стояка"},
                          files={"photo": ("схема.png", STAFF_PHOTO, "image/png")})
    assert answer.status_code == 303

    resident = machines.world.api
    with machines.world.app.app_context():
        chat_id = db.session.get(Request, request_id).author_chat_id
    assert resident.wait_until(lambda: [m for m in resident.messages(chat_id) if m.photo and
                                        "Вот схема стояка" in m.text], 20)
    [sent] = [m for m in resident.messages(chat_id) if m.photo and "Вот схема стояка" in m.text]
    assert resident.file_bytes(sent.photo) == STAFF_PHOTO

    other, other_browser = machines.webs[1], machines.browsers[1]
    page = other_browser.get(f"{other.url}/requests/{request_id}", timeout=30).text
    src = re.search(r'<img src="(/requests/\d+/photos/\d+)" alt="Фото к сообщению"', page).group(1)
    assert other_browser.get(other.url + src, timeout=30).content == STAFF_PHOTO
    assert no_files_on_disk(machines)
