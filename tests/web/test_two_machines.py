"""Two machines, no shared disk: two waitress processes (`python wsgi.py`) and the bot worker, each
with its own empty STORAGE_DIR, on one database. Whatever one of them keeps, the others show:
a resident's photo filed through the bot, a staff photo (under a Cyrillic name) uploaded through one
web process (and sent by the worker), and an export started on one and downloaded from the other,
which ends with a sentence on the other when the first one dies in the middle. Each test runs on
PostgreSQL and on SQLite (one database file shared by the processes), and ends with no file under
any STORAGE_DIR."""
import io
import re
import shutil
import time

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from app.extensions import db
from app.models import Category, Request, RequestPhoto
from app.services import storage_check
from tests.bot.conftest import BotWorld, seed
from tests.conftest import PG_URL, truncate_postgres
from tests.images import png
from tests.web_process import WebProcess, csrf_of, multipart

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("two_machines")]

# A running export beats every 5/4 s; one silent for 5 s died with its process.
WEB_SETTINGS = {"EXPORT_STALE_SECONDS": "5"}
RESIDENT_PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4096  # 1 MB and a bit: two chunks
STAFF_PHOTO = png(40, 30)


class Machines:
    def __init__(self, root, database_url: str, engine: str):
        self.engine = engine
        self.world = BotWorld(root / "worker", database_url)
        seed(self.world.app)
        self.world.worker.start()
        self.root, self.database_url = root, database_url
        self.webs = [self.web(f"web{n}") for n in (1, 2)]
        self.browsers = [self.signed_in(web) for web in self.webs]

    def web(self, name: str) -> WebProcess:
        """Another web process on the shared database, with an empty STORAGE_DIR of its own."""
        (self.root / name).mkdir()
        return WebProcess(self.root / name, None, database_url=self.database_url, **WEB_SETTINGS)

    @staticmethod
    def signed_in(web: WebProcess):
        browser = web.browser()
        assert web.sign_in(browser, "owner") == 302
        return browser

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
    (root / "worker").mkdir()
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
    # Byte for byte as a browser sends it (tests.web_process.multipart says why not `files=`).
    body, content_type = multipart({"csrf_token": csrf_of(page), "key": key.group(1) or key.group(2),
                                    "text": "Вот схема стояка"}, "photo", 'filename="схема стояка.png"'.encode(),
                                   STAFF_PHOTO)
    answer = browser.post(f"{web.url}/requests/{request_id}/messages", data=body, allow_redirects=False,
                          headers={"Content-Type": content_type}, timeout=30)
    said = " ".join(re.sub(r"<[^>]+>", " ", answer.text).split())
    assert answer.status_code == 303, f"{said[:1500]}\n--- web log:\n{web.log()[-3000:]}"

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


def start_export(web: WebProcess, browser) -> str:
    """Start an export of the whole journal as the page does; its job id."""
    page = browser.get(web.url + "/", timeout=30).text
    answer = browser.post(web.url + "/journal/export", data={"csrf_token": csrf_of(page)},
                          headers={"HX-Request": "true"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return re.search(r"/journal/export/([A-Za-z0-9_-]{16})", answer.text).group(1)


def poll(web: WebProcess, browser, job_id: str, until, timeout: float = 120) -> str:
    """Poll the job's status as the page does until `until(html)` holds; the last answer."""
    deadline = time.monotonic() + timeout  # a wait on a busy machine, not an assertion on speed
    while True:
        html = browser.get(f"{web.url}/journal/export/{job_id}", timeout=30).text
        if until(html) or time.monotonic() > deadline:
            return html
        time.sleep(0.05)


def requests_in(machines) -> int:
    with machines.world.app.app_context():
        return db.session.execute(select(func.count(Request.id))).scalar()


def test_an_export_started_on_one_is_polled_and_downloaded_on_the_other(machines):
    first, second = machines.webs
    job_id = start_export(first, machines.browsers[0])
    html = poll(second, machines.browsers[1], job_id, lambda html: "Файл готов" in html)
    assert "Файл готов" in html, html
    response = machines.browsers[1].get(f"{second.url}/journal/export/{job_id}/file", timeout=60)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["Заявки"]
    assert sum(1 for _ in sheet.iter_rows(min_row=2)) == requests_in(machines)
    assert no_files_on_disk(machines)


def many_requests(machines, count: int) -> None:
    """Enough requests that their export is still being written when its process is killed."""
    with machines.world.app.app_context():
        category = db.session.execute(select(Category.id)).scalars().first()
        db.session.execute(insert(Request), [
            {"number": 10_000_000 + n, "category_id": category, "client_full_name": f"Жилец {n}",
             "street": "ул. Садовая", "house": "17", "apartment": str(n % 300), "description": f"Заявка {n}"}
            for n in range(count)])
        db.session.commit()


def test_killing_the_web_process_mid_export_leaves_the_job_failed_with_a_sentence_on_the_other(machines):
    many_requests(machines, 30_000)
    doomed = machines.web("web-doomed")
    try:
        job_id = start_export(doomed, machines.signed_in(doomed))
        second, browser = machines.webs[1], machines.browsers[1]
        html = poll(second, browser, job_id, lambda html: re.search(r'<progress[^>]*value="[1-9]', html))
        assert re.search(r'<progress[^>]*value="[1-9]', html), html  # rows are being written...
        doomed.kill()  # ...when its machine dies
    finally:
        doomed.close()
    html = poll(second, browser, job_id, lambda html: "<progress" not in html)
    assert "Выгрузка прервалась" in html and "Запустите её снова" in html, html
    assert browser.get(f"{second.url}/journal/export/{job_id}/file", timeout=30).status_code == 404
    with machines.world.app.app_context():  # the half-written workbook never reached the file store
        report = storage_check.check(machines.world.storage)
        assert report.unnamed_stored == [] and report.missing == [], report.lines()
    assert no_files_on_disk(machines)
