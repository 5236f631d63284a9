"""The conversation on the request page over HTTP: the thread (messages both ways, photos, status
moves, delivery states), read marks, writing to the resident with a photo, and bad input."""
import io
import json
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Notification, Request, RequestMessage, RequestPhoto, StoredFile
from app.services.requests import conversation
from app.services.requests import lifecycle as request_service
from app.services import storage
from app.telegram.limits import SEND_PHOTO_MAX_BYTES
from tests import factories
from tests.images import png

PNG = png()
GIF = b"GIF89a" + b"\x00" * 64


@pytest.fixture
def filed(app):
    """A request filed in Telegram, assigned, with an executor."""
    with app.app_context():
        request = factories.request(author_telegram_id=900, author_chat_id=900)
        request_service.assign_executor(request, factories.executor(), factories.staff("admin"))
        db.session.commit()
        return request.id


def resident_writes(app, request_id, *texts, photo_path=None):
    with app.app_context():
        request = db.session.get(Request, request_id)
        for text in texts:
            conversation.add_resident_message(request, 900, text)
        if photo_path is not None:
            message = conversation.add_resident_message(request, 900, "", photo=("tg-file", "tg-uniq"))
            db.session.flush()
            photo = db.session.execute(select(RequestPhoto).where(RequestPhoto.message_id == message.id)).scalar_one()
            photo.file_path = photo_path
        db.session.commit()


def state(app, request_id) -> dict:
    with app.app_context():
        request = db.session.get(Request, request_id)
        rows = db.session.execute(select(Notification).where(Notification.request_id == request_id,
                                                             Notification.kind == "message")
                                  .order_by(Notification.id)).scalars().all()
        return {"unread": request.unread_messages, "rows": [(r.text, r.photo, r.buttons, r.status) for r in rows]}


def thread_html(page: str) -> str:
    return re.search(r'<div id="thread".*?\n</div>', page, re.S).group(0)


def test_the_thread_shows_both_sides_photos_status_moves_and_delivery(app, staff, filed, tmp_path):
    (tmp_path / "storage" / "photos").mkdir(parents=True)
    (tmp_path / "storage" / "photos" / "leak.png").write_bytes(PNG)
    resident_writes(app, filed, "Течёт <script>alert(1)</script> сильнее", photo_path="photos/leak.png")
    with app.app_context():
        request = db.session.get(Request, filed)
        operator = factories.staff("operator")
        for text in ("Мастер придёт завтра", "Откройте, пожалуйста, подвал"):
            conversation.add_staff_message(request, operator, text)
        request_service.change_status(request, "in_progress", operator, "Мастер выехал")
        db.session.commit()
        first, second = db.session.execute(select(Notification).where(Notification.kind == "message")
                                           .order_by(Notification.id)).scalars().all()
        first.status = "sent"
        second.status, second.failure = "failed", "blocked"
        db.session.commit()

    thread = thread_html(staff.page(f"/requests/{filed}"))
    order = [thread.index(t) for t in ("Течёт &lt;script&gt;", "Фото к сообщению", "Мастер придёт завтра",
                                       "Откройте, пожалуйста, подвал", "Мастер выехал")]
    assert order == sorted(order)
    assert "<script>alert" not in thread
    assert thread.count('class="tag new">новое<') == 2  # the text and the photo nobody had read
    assert ">доставлено<" in thread and ">не доставлено: житель заблокировал бота<" in thread
    assert "Олег Оператор" in thread and "в работе</span>" in thread
    photo = re.search(r'<img src="(/requests/\d+/photos/\d+)" alt="Фото к сообщению"', thread).group(1)
    assert staff.get(photo).data == PNG


def test_opening_the_request_marks_the_residents_messages_read(app, staff, filed):
    resident_writes(app, filed, "Первое", "Второе")
    assert state(app, filed)["unread"] == 2
    assert thread_html(staff.page(f"/requests/{filed}")).count(">новое<") == 2
    assert state(app, filed)["unread"] == 0
    assert ">новое<" not in thread_html(staff.page(f"/requests/{filed}"))
    resident_writes(app, filed, "Третье")
    fragment = staff.page(f"/requests/{filed}/thread")  # what the open page polls
    assert fragment.count(">новое<") == 1
    assert state(app, filed)["unread"] == 1  # a poll is nobody's look: the page may be in a background tab
    assert f'data-unread="{newest_message(app, filed)}"' in fragment  # the page marks it once seen


def newest_message(app, request_id) -> int:
    with app.app_context():
        return db.session.execute(select(func.max(RequestMessage.id))
                                  .where(RequestMessage.request_id == request_id)).scalar_one()


def test_the_page_marks_what_it_shows_read_once_seen(app, staff, filed, visitor):
    resident_writes(app, filed, "Первое", "Второе")
    shown = newest_message(app, filed)
    resident_writes(app, filed, "Третье, пришло после опроса")
    assert visitor.post(f"/requests/{filed}/read", {"upto": shown}).status_code == 302  # to the login page
    assert staff.client.post(f"/requests/{filed}/read", data={"upto": shown}).status_code == 400  # no CSRF token
    for bad in ("", "abc", "-1"):
        assert staff.post(f"/requests/{filed}/read", {"upto": bad}).status_code == 400
    assert staff.post("/requests/999999/read", {"upto": shown}).status_code == 404
    assert state(app, filed)["unread"] == 3

    response = staff.post(f"/requests/{filed}/read", {"upto": shown})
    assert response.status_code == 204
    assert state(app, filed)["unread"] == 1  # the one the page did not show yet stays new
    fragment = staff.page(f"/requests/{filed}/thread")
    assert fragment.count(">новое<") == 1 and f'data-unread="{newest_message(app, filed)}"' in fragment
    assert staff.post(f"/requests/{filed}/read", {"upto": newest_message(app, filed)}).status_code == 204
    assert state(app, filed)["unread"] == 0 and 'data-unread=""' in staff.page(f"/requests/{filed}/thread")


def test_staff_write_to_the_resident_through_the_outbox(app, staff, filed):
    response = staff.post(f"/requests/{filed}/messages", {"text": "  Когда вам удобно?\r\nЛучше утром  "})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/requests/{filed}#conversation")
    page = staff.page(response.headers["Location"])
    assert "Сообщение поставлено в очередь" in page
    assert ">в очереди<" in thread_html(page)
    [(text, photo, buttons, status)] = state(app, filed)["rows"]
    number = re.search(r"Заявка № (\d+)", page).group(1)
    assert text == f"Сообщение по заявке № {number}:\nКогда вам удобно?\nЛучше утром" and photo == "" and status == "pending"
    assert json.loads(buttons)["inline_keyboard"][0][0]["text"] == "Ответить"
    assert 'hx-trigger="every 5s"' in thread_html(page)  # the page looks quicker while it waits


def message_form(page: str) -> dict:
    """The message form's hidden fields as the page renders them."""
    form = re.search(r'<form[^>]*id="message-form".*?</form>', page, re.S).group(0)
    return dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="(\w+)"[^>]*value="([^"]*)"', form)
                + re.findall(r'<input[^>]*name="(\w+)"[^>]*type="hidden"[^>]*value="([^"]*)"', form))


def test_a_second_post_of_the_same_form_sends_nothing_more(app, staff, filed, tmp_path):
    """A double click posts the form twice: one message, one set of outbox rows, one photo."""
    hidden = message_form(staff.page(f"/requests/{filed}"))
    for _ in range(2):
        response = staff.post(f"/requests/{filed}/messages",
                              {**hidden, "text": "Мастер придёт в 10", "photo": (io.BytesIO(PNG), "схема.png")},
                              content_type="multipart/form-data")
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/requests/{filed}#conversation")
    [(text, photo, _, _)] = state(app, filed)["rows"]
    assert text.endswith("Мастер придёт в 10")
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(StoredFile)).scalar() == 1
        assert storage.read(photo) == PNG
    page = staff.page(f"/requests/{filed}")
    assert thread_html(page).count("Мастер придёт в 10") == 1

    fresh = message_form(page)  # the page shown afterwards: a new form, another message
    assert len(hidden["key"]) >= 16 and fresh["key"] != hidden["key"]
    assert staff.post(f"/requests/{filed}/messages", {**fresh, "text": "И ещё"}).status_code == 303
    assert [row[0].split(":\n")[-1] for row in state(app, filed)["rows"]] == ["Мастер придёт в 10", "И ещё"]


def test_the_same_form_key_on_another_request_is_another_message(app, staff, filed):
    with app.app_context():
        other = factories.request(factories.client("100002", "Петров"), author_telegram_id=901, author_chat_id=901).id
    for request_id in (filed, other):
        assert staff.post(f"/requests/{request_id}/messages", {"key": "k" * 40, "text": "Здравствуйте"}).status_code == 303
    assert len(state(app, filed)["rows"]) == 1 and len(state(app, other)["rows"]) == 1


def test_staff_send_a_photo(app, staff, filed, tmp_path):
    response = staff.post(f"/requests/{filed}/messages", {"text": "Вот схема", "photo": (io.BytesIO(PNG), "схема.png")},
                          content_type="multipart/form-data")
    assert response.status_code == 303
    [(text, photo, _, _)] = state(app, filed)["rows"]
    assert text.endswith("Вот схема") and photo.startswith("db:")
    with app.app_context():
        assert storage.read(photo) == PNG
    page = staff.page(f"/requests/{filed}")
    src = re.search(r'<img src="(/requests/\d+/photos/\d+)" alt="Фото к сообщению"', thread_html(page)).group(1)
    assert staff.get(src).data == PNG
    assert 'class="photo from-staff"' in page  # marked among the request's photos


@pytest.mark.parametrize("data,message", [
    ({"text": "   "}, "Напишите сообщение или приложите фото."),
    ({"text": "я" * 10_001}, "Не больше 10000 символов."),
    ({"text": "Вот фото", "photo": (GIF, "photo.png")}, "Это не фото: принимаются только изображения JPEG и PNG"),
    ({"text": "Вот фото", "photo": (b"\xff\xd8\xff" + b"0" * SEND_PHOTO_MAX_BYTES, "big.jpg")}, "Фото больше 10 МБ"),
])
def test_bad_input_is_refused_with_the_text_kept(app, staff, filed, data, message):
    form = {k: (io.BytesIO(v[0]), v[1]) if k == "photo" else v for k, v in data.items()}
    response = staff.post(f"/requests/{filed}/messages", form, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    if data["text"].strip() and len(data["text"]) < 100:
        assert f"{data['text']}</textarea>" in page  # what the dispatcher typed is not lost
    if "photo" in data:
        assert "Фото не сохранено: выберите его снова." in page
    assert state(app, filed)["rows"] == []


def test_no_conversation_on_a_request_filed_by_phone(app, staff):
    with app.app_context():
        request_id = factories.request().id
    page = staff.page(f"/requests/{request_id}")
    assert "написать жителю в Telegram нельзя" in page and 'id="message-form"' not in page and 'id="thread"' not in page
    response = staff.post(f"/requests/{request_id}/messages", {"text": "Здравствуйте"})
    assert response.status_code == 400 and "написать жителю в Telegram нельзя" in response.get_data(as_text=True)


def test_an_archived_request_keeps_its_thread_but_takes_no_message(app, staff, filed):
    resident_writes(app, filed, "Спасибо")
    with app.app_context():
        db.session.get(Request, filed).status = "archived"
        db.session.commit()
    page = staff.page(f"/requests/{filed}")
    assert "Спасибо" in thread_html(page) and 'id="message-form"' not in page
    response = staff.post(f"/requests/{filed}/messages", {"text": "Ещё вопрос"})
    assert response.status_code == 400 and "Заявка в архиве" in response.get_data(as_text=True)


def test_internal_comments_never_reach_the_resident(app, staff, filed):
    staff.post(f"/requests/{filed}/comment", {"text": "Житель конфликтный, звонить заранее"})
    page = staff.page(f"/requests/{filed}")
    assert "Житель конфликтный" not in thread_html(page) and "Житель конфликтный" in page
    assert state(app, filed)["rows"] == []


def test_the_residents_verdict_and_rating_on_the_page(app, staff, filed):
    with app.app_context():
        request = db.session.get(Request, filed)
        request_service.change_status(request, "in_progress", factories.staff("admin"))
        request_service.change_status(request, "done", factories.staff("admin"))
        db.session.commit()
    page = staff.page(f"/requests/{filed}")
    assert re.search(r'id="request-verdict"><span class="verdict v-asked">ждём ответа</span> <span class="muted">'
                     r'\(спросили [\d.: ]+; без ответа заявка закроется [\d.: ]+\)', page)
    assert "вопрос жителю" in thread_html(page)
    with app.app_context():
        request = db.session.get(Request, filed)
        request_service.answer_confirmation(request, 900, solved=True)
        request_service.rate(request, 4)
        db.session.commit()
    page = staff.page(f"/requests/{filed}")
    assert 'class="verdict v-confirmed">подтвердил<' in page
    assert 'id="request-rating">★★★★☆ (4)<' in page
    assert "Оценка жителя: ★★★★☆ (4)" in page[page.index('id="history"'):]
    assert "ответ: проблема решена" in thread_html(page)


def test_the_page_says_when_a_done_request_waits_for_the_dispatcher(app, staff, filed):
    """The resident wrote instead of answering, or the question was not delivered: no auto-close."""
    with app.app_context():
        request = db.session.get(Request, filed)
        request_service.change_status(request, "in_progress", factories.staff("admin"))
        request_service.change_status(request, "done", factories.staff("admin"))
        db.session.commit()
    assert 'id="verdict-note"' not in staff.page(f"/requests/{filed}")
    resident_writes(app, filed, "Нет, всё ещё течёт!")
    page = staff.page(f"/requests/{filed}")
    assert 'class="verdict v-wrote">написал вместо ответа</span></dd>' in page  # no auto-close date
    note = re.search(r'id="verdict-note">(.*?)</div>', page, re.S).group(1)
    assert " ".join(note.split()) == ("Житель написал сообщение вместо ответа на вопрос «Проблема решена?» — "
                                      "прочтите переписку. Заявка не закроется автоматически: закройте её или "
                                      "верните в работу.")
    assert ">новое<" in thread_html(page)

    with app.app_context():
        request = db.session.get(Request, filed)
        request_service.change_status(request, "in_progress", factories.staff("admin"))
        request_service.change_status(request, "done", factories.staff("admin"))
        question = db.session.execute(select(Notification).where(Notification.request_id == filed,
                                                                  Notification.kind == "confirm")
                                      .order_by(Notification.id.desc())).scalars().first()
        question.status, question.failure = "failed", "chat_gone"
        db.session.commit()
        request_service.close_unconfirmed(app.config["CONFIRM_DAYS"])
        db.session.commit()
    page = staff.page(f"/requests/{filed}")
    assert 'class="verdict v-undelivered">вопрос не доставлен</span></dd>' in page
    note = re.search(r'id="verdict-note">(.*?)</div>', page, re.S).group(1)
    assert " ".join(note.split()) == ("Вопрос «Проблема решена?» не доставлен жителю (причина — в переписке и в "
                                      "истории). Заявка не закроется автоматически: позвоните жителю, затем "
                                      "закройте её или верните в работу.")
    assert "не доставлен: чат удалён или недоступен" in page[page.index('id="history"'):]


@pytest.mark.parametrize("url", ["/requests/999999/thread", "/requests/abc/thread"])
def test_unknown_threads_are_404(staff, url):
    assert staff.get(url).status_code == 404


def test_the_photo_field_says_its_limit_to_the_browser(staff, filed):
    page = staff.page(f"/requests/{filed}")
    assert f'data-max-bytes="{SEND_PHOTO_MAX_BYTES}"' in page and 'accept="image/jpeg,image/png"' in page
    assert 'enctype="multipart/form-data"' in page


def executor_reports(app, request_id, tmp_path, text="Заменил смеситель"):
    """The executor presses «Выполнено» in the bot with a photo; the worker has downloaded it."""
    (tmp_path / "storage" / "photos").mkdir(parents=True, exist_ok=True)
    (tmp_path / "storage" / "photos" / "done.png").write_bytes(PNG)
    with app.app_context():
        request = db.session.get(Request, request_id)
        report = request_service.executor_done(request, request.executor, text, [("tg-done", "tg-done-uniq")])
        db.session.flush()
        report.photos[0].file_path = "photos/done.png"
        db.session.commit()


@pytest.mark.parametrize("by_phone", [False, True])
def test_the_executors_report_is_shown_as_theirs(app, staff, tmp_path, by_phone):
    """A report from the bot is the executor's, with its photo, on a request filed in Telegram or by
    phone alike; a request filed by phone still has no form to write to its resident."""
    with app.app_context():
        fields = {} if by_phone else {"author_telegram_id": 900, "author_chat_id": 900}
        request = factories.request(**fields)
        request_service.assign_executor(request, factories.executor(), factories.staff("admin"))
        db.session.commit()
        request_id = request.id
    executor_reports(app, request_id, tmp_path)
    page = staff.page(f"/requests/{request_id}")
    thread = thread_html(page)
    report = re.search(r'<div class="msg from-executor" id="msg-\d+">.*?\n  </div>', thread, re.S).group(0)
    assert "<b>Исполнитель Петров Пётр</b>" in report and ">отчёт о выполнении</span>" in report
    assert "Заменил смеситель" in report and ">новое<" not in report
    src = re.search(r'<img src="(/requests/\d+/photos/\d+)" alt="Фото к сообщению"', report).group(1)
    assert staff.get(src).data == PNG
    assert f'<a href="{src}" target="_blank" rel="noopener" class="photo from-executor"' in page
    assert "выполнена</span>" in thread  # the move it made follows the report
    assert ('id="message-form"' in page) is not by_phone
    assert ("написать жителю в Telegram нельзя" in page) is by_phone
