"""The request page over HTTP: details, executor, status moves along the allowed
transitions only, comments, history and the resident's notifications; photos."""
import re

import pytest

from app.extensions import db
from app.models import Notification, Request, RequestEvent, RequestPhoto
from tests import factories


@pytest.fixture
def filed(app):
    """A new request filed from Telegram (so status changes notify the resident)."""
    with app.app_context():
        factories.category()
        factories.executor("Петров Пётр", "Сантехник")
        factories.executor("Сидоров Семён", "Электрик")
        req = factories.request(description="Течёт кран\nна кухне", author_telegram_id=777, author_chat_id=555)
        return req.id


def reload(app, request_id):
    with app.app_context():
        req = db.session.get(Request, request_id)
        events = [(e.kind, e.from_status, e.to_status, e.from_value, e.to_value, e.comment, e.actor_label)
                  for e in req.events]
        notes = [n.text for n in db.session.query(Notification).filter_by(request_id=request_id).order_by(Notification.id)]
        return {"status": req.status, "executor_id": req.executor_id, "events": events, "notes": notes,
                "assigned_at": req.assigned_at, "in_progress_at": req.in_progress_at}


def executor_id(app, name):
    with app.app_context():
        from app.models import Executor
        return db.session.query(Executor).filter_by(full_name=name).one().id


def test_page_shows_every_field_and_the_allowed_moves(staff, filed):
    page = staff.page(f"/requests/{filed}")
    for text in ("Заявка № 1", "Иванов Иван Иванович", "100001", "г. Самара, ул. Ленина, д. 5А, кв. 12",
                 "+7 912 345-67-89", "Сантехника / Засор", "не назначен", "Telegram (id 777)",
                 "Течёт кран\nна кухне", "Житель (Telegram)", "Заявка создана"):
        assert text in page, text
    buttons = re.findall(r'<button type="submit" name="status" value="(\w+)"', page)
    assert buttons == ["assigned", "closed"]  # services.statuses.TRANSITIONS for «новая»
    assert "← Журнал заявок" in page


def test_assigning_an_executor_makes_a_new_request_assigned(app, staff, filed):
    petrov = executor_id(app, "Петров Пётр")
    response = staff.post(f"/requests/{filed}/executor", data={"executor": petrov, "executor_comment": "срочно"})
    assert response.status_code == 303
    page = staff.page(response.headers["Location"])
    assert "Исполнитель: Петров Пётр. Заявка назначена исполнителю." in page
    state = reload(app, filed)
    assert state["status"] == "assigned" and state["executor_id"] == petrov and state["assigned_at"]
    assert state["events"][1:] == [
        ("executor", None, None, "", "Петров Пётр", "срочно", "Олег Оператор"),
        ("status", "new", "assigned", "", "", "", "Олег Оператор"),
    ]
    assert state["notes"] == ["Статус вашей заявки № 1 изменён: назначена исполнителю."]

    # Changing the executor later keeps the status and records the change.
    sidorov = executor_id(app, "Сидоров Семён")
    staff.post(f"/requests/{filed}/executor", data={"executor": sidorov})
    state = reload(app, filed)
    assert state["status"] == "assigned" and state["executor_id"] == sidorov
    assert state["events"][-1][:5] == ("executor", None, None, "Петров Пётр", "Сидоров Семён")


def test_status_moves_along_allowed_transitions_and_notifies(app, staff, filed):
    staff.post(f"/requests/{filed}/executor", data={"executor": executor_id(app, "Петров Пётр")})
    response = staff.post(f"/requests/{filed}/status", data={
        "status": "in_progress", "current": "assigned", "status_comment": "Мастер придёт завтра"})
    assert response.status_code == 303
    page = staff.page(f"/requests/{filed}")
    assert 'id="request-status">в работе<' in page
    assert re.findall(r'name="status" value="(\w+)"', page) == ["done", "assigned"]
    state = reload(app, filed)
    assert state["events"][-1] == ("status", "assigned", "in_progress", "", "", "Мастер придёт завтра", "Олег Оператор")
    assert state["notes"][-1] == ("Статус вашей заявки № 1 изменён: в работе.\nКомментарий: Мастер придёт завтра")
    assert state["in_progress_at"] is not None
    assert "Мастер придёт завтра" in page and "Олег Оператор" in page
    assert "<dt>Назначена</dt>" in page and "<dt>В работе с</dt>" in page and "<dt>Выполнена</dt>" not in page


@pytest.mark.parametrize("target,message", [
    ("done", "Нельзя перевести заявку из статуса «новая» в «выполнена»."),
    ("archived", "Нельзя перевести заявку из статуса «новая» в «в архиве»."),
    ("assigned", "Сначала назначьте исполнителя."),
    ("deleted", "Неизвестный статус."),
    ("", "Неизвестный статус."),
])
def test_forbidden_moves_are_refused_with_a_message(app, staff, filed, target, message):
    before = reload(app, filed)
    response = staff.post(f"/requests/{filed}/status", data={
        "status": target, "current": "new", "status_comment": "мой текст"})
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert f'id="request-error">{message}<' in text.replace("&#34;", '"')
    assert "мой текст" in text  # what the dispatcher typed is not lost
    assert reload(app, filed) == before  # no status, no history, no notification


def test_a_change_made_meanwhile_by_a_colleague_is_not_overwritten(app, staff, filed):
    staff.post(f"/requests/{filed}/executor", data={"executor": executor_id(app, "Петров Пётр")})
    # The page was opened while the request was still «новая»; closing is allowed from both.
    response = staff.post(f"/requests/{filed}/status", data={"status": "closed", "current": "new"})
    assert response.status_code == 409
    assert "статус заявки изменился: сейчас «назначена исполнителю»" in response.get_data(as_text=True)
    assert reload(app, filed)["status"] == "assigned"


def test_archived_request_offers_no_moves_and_no_executor_change(app, staff, filed):
    with app.app_context():
        db.session.get(Request, filed).status = "archived"
        db.session.commit()
    page = staff.page(f"/requests/{filed}")
    assert 'name="status"' not in page and "статус больше не меняется" in page
    assert 'id="executor-form"' not in page
    response = staff.post(f"/requests/{filed}/executor", data={"executor": executor_id(app, "Петров Пётр")})
    assert response.status_code == 409
    assert "Заявка в архиве: исполнителя сменить нельзя." in response.get_data(as_text=True)


@pytest.mark.parametrize("value,message", [
    ("", "Выберите исполнителя."),
    ("999999", "Такого исполнителя нет"),
    ("abc", "Такого исполнителя нет"),
])
def test_bad_executor_values(app, staff, filed, value, message):
    response = staff.post(f"/requests/{filed}/executor", data={"executor": value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert reload(app, filed)["executor_id"] is None


def test_comments(app, staff, filed):
    response = staff.post(f"/requests/{filed}/comment", data={"text": "  Житель просит звонить после 18  "})
    assert response.status_code == 303 and response.headers["Location"].endswith("#history")
    state = reload(app, filed)
    assert state["events"][-1] == ("comment", None, None, "", "", "Житель просит звонить после 18", "Олег Оператор")
    assert state["notes"] == []  # comments are for staff, the resident is not messaged

    response = staff.post(f"/requests/{filed}/comment", data={"text": "   "})
    assert response.status_code == 400 and "Напишите комментарий." in response.get_data(as_text=True)
    response = staff.post(f"/requests/{filed}/comment", data={"text": "я" * 2001})
    assert response.status_code == 400 and "Не больше 2000 символов." in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["status", "executor", "comment"])
def test_actions_need_csrf(staff, filed, path):
    response = staff.client.post(f"/requests/{filed}/{path}", data={"status": "closed", "text": "x"})
    assert response.status_code == 400 and "Форма устарела" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/requests/999999", "/requests/99999999999999999999", "/requests/abc",
                                 "/requests/-1"])
def test_unknown_requests_are_404(staff, filed, url):
    assert staff.get(url).status_code == 404


# --- photos ---------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 64


@pytest.fixture
def photos(app, filed, tmp_path):
    storage = tmp_path / "storage"
    (storage / "photos").mkdir(parents=True)
    (storage / "photos" / "leak.jpg").write_bytes(JPEG)
    (storage / "photos" / "page.html").write_text("<script>alert(1)</script>")
    (tmp_path / "secret.txt").write_text("top secret")
    paths = {"ok": "photos/leak.jpg", "html": "photos/page.html", "up": "../secret.txt",
             "abs": str(tmp_path / "secret.txt"), "pending": "", "missing": "photos/none.jpg"}
    with app.app_context():
        other = factories.request(description="другая").id
        ids = {}
        for key, path in paths.items():
            photo = RequestPhoto(request_id=filed, file_path=path, telegram_file_id=f"f-{key}")
            db.session.add(photo)
            db.session.flush()
            ids[key] = photo.id
        ids["other"] = RequestPhoto(request_id=other, file_path="photos/leak.jpg")
        db.session.add(ids["other"])
        db.session.commit()
        ids["other"] = (other, ids["other"].id)
    return ids


def test_photos_are_shown_and_served_to_staff(staff, filed, photos):
    page = staff.page(f"/requests/{filed}")
    src = f"/requests/{filed}/photos/{photos['ok']}"
    assert f'<a href="{src}" target="_blank"' in page and f'<img src="{src}"' in page
    assert "фото ещё загружается" in page  # the one not downloaded from Telegram yet
    response = staff.get(src)
    assert response.status_code == 200 and response.data == JPEG
    assert response.mimetype == "image/jpeg" and "private" in response.headers["Cache-Control"]


def test_photo_that_is_not_an_image_is_only_a_download(staff, filed, photos):
    response = staff.get(f"/requests/{filed}/photos/{photos['html']}")
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("key", ["up", "abs", "pending", "missing"])
def test_photo_paths_outside_storage_or_missing_are_404(staff, filed, photos, key):
    assert staff.get(f"/requests/{filed}/photos/{photos[key]}").status_code == 404


def test_photo_of_another_request_is_404(staff, filed, photos):
    other_request, other_photo = photos["other"]
    assert staff.get(f"/requests/{filed}/photos/{other_photo}").status_code == 404
    assert staff.get(f"/requests/{other_request}/photos/{other_photo}").status_code == 200


def test_photos_need_a_session(client, filed, photos):
    response = client.get(f"/requests/{filed}/photos/{photos['ok']}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_history_lists_every_event_newest_first(app, staff, filed):
    staff.post(f"/requests/{filed}/comment", data={"text": "первый"})
    staff.post(f"/requests/{filed}/executor", data={"executor": executor_id(app, "Петров Пётр")})
    page = staff.page(f"/requests/{filed}")
    history = page[page.index('id="history"'):]
    order = [history.index(t) for t in ("назначена исполнителю</span>", "Петров Пётр", "первый", "Заявка создана")]
    assert order == sorted(order)
    with app.app_context():
        assert db.session.query(RequestEvent).filter_by(request_id=filed).count() == 4
