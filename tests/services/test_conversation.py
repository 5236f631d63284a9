"""The conversation's rules (app.services.requests.conversation) and the resident's verdict
(app.services.requests.lifecycle) on both databases, through the services the web and the bot call."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import Notification, Request, RequestEvent, RequestMessage, RequestPhoto, TelegramBinding, utcnow
from app.models.conversation import Verdict
from app.services.requests import conversation
from app.services.messaging import outbox
from app.services.requests import lifecycle as request_service
from app.services.requests.conversation import ConversationError, NotBound, NotYours
from app.services.requests.lifecycle import QuestionClosed, RequestError
from app.services import storage
from app.telegram.limits import SEND_PHOTO_MAX_BYTES
from tests import factories
from tests.images import jpeg_header, png

RESIDENT = 7001
JPEG = jpeg_header()
PNG = png()


@pytest.fixture
def filed(ctx):
    """A request filed in Telegram by a bound resident, with an executor; the staff member."""
    client = factories.client()
    db.session.add(TelegramBinding(client_id=client.id, telegram_user_id=RESIDENT, chat_id=RESIDENT,
                                   phone=client.phone))
    request = factories.request(client, author_telegram_id=RESIDENT, author_chat_id=RESIDENT)
    staff = factories.staff("operator")
    request_service.assign_executor(request, factories.executor(), staff)
    db.session.commit()
    return request, staff


def outbox_rows(request, kind=None) -> list[Notification]:
    query = select(Notification).where(Notification.request_id == request.id).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return db.session.execute(query).scalars().all()


def move(request, staff, *targets):
    for target in targets:
        request_service.change_status(request, target, staff)
    db.session.commit()


# --- the resident's messages -------------------------------------------------------------

def test_resident_messages_are_unread_until_staff_open_the_request(filed):
    request, _ = filed
    conversation.add_resident_message(request, RESIDENT, "Когда придёт мастер?")
    conversation.add_resident_message(request, RESIDENT, "", photo=("file-1", "uniq-1"))  # a photo alone is kept
    db.session.commit()
    db.session.refresh(request)
    assert request.unread_messages == 2
    [photo] = db.session.execute(select(RequestPhoto).where(RequestPhoto.message_id.is_not(None))).scalars().all()
    assert (photo.telegram_file_id, photo.file_path, photo.request_id) == ("file-1", "", request.id)

    entries = conversation.thread(request)
    assert [e.new for e in entries if e.message] == [True, True]
    assert conversation.mark_read(request) == 2
    db.session.commit()
    db.session.refresh(request)
    assert request.unread_messages == 0
    assert conversation.mark_read(request) == 0
    assert not any(e.new for e in conversation.thread(request))


def test_a_message_on_a_closed_request_is_flagged_and_the_request_stays_closed(filed):
    request, staff = filed
    move(request, staff, "in_progress", "done", "closed")
    message = conversation.add_resident_message(request, RESIDENT, "Опять течёт")
    db.session.commit()
    assert message.on_closed and request.status == "closed" and request.unread_messages == 1


def test_only_the_author_still_bound_to_the_account_reaches_the_request(filed):
    request, _ = filed
    assert conversation.resident_request(request.id, RESIDENT) is request
    with pytest.raises(NotYours):
        conversation.resident_request(request.id, RESIDENT + 1)  # another resident's
    with pytest.raises(NotYours):
        conversation.resident_request(999_999, RESIDENT)
    db.session.execute(update(TelegramBinding).values(client_id=factories.client("100002").id))  # pair released
    db.session.commit()
    with pytest.raises(NotBound) as refused:
        conversation.resident_request(request.id, RESIDENT, lock=True)
    assert refused.value.request.id == request.id


# --- the staff's messages ----------------------------------------------------------------

def test_a_staff_message_goes_through_the_outbox_with_a_reply_button(filed):
    request, staff = filed
    message = conversation.add_staff_message(request, staff, "  Мастер придёт завтра к 10:00 <b>точно</b>  ")
    db.session.commit()
    [row] = outbox_rows(request, "message")
    assert row.text == f"Сообщение по заявке № {request.number}:\nМастер придёт завтра к 10:00 <b>точно</b>"
    assert (row.chat_id, row.priority, row.message_id, row.status) == (RESIDENT, outbox.URGENT, message.id, "pending")
    [[button]] = json.loads(row.buttons)["inline_keyboard"]
    assert button == {"text": "Ответить", "callback_data": f"rq:write:{request.id}"}
    assert (message.sender, message.staff_id, message.text) == ("staff", staff.id, "Мастер придёт завтра к 10:00 <b>точно</b>")
    [entry] = [e for e in conversation.thread(request) if e.message]
    assert (entry.delivery, entry.delivery_text) == ("pending", "в очереди")


def test_a_long_staff_message_is_split_and_its_state_is_its_rows(filed):
    request, staff = filed
    conversation.add_staff_message(request, staff, "Подробно. " + "слово " * 1500)  # ~9 000 characters
    db.session.commit()
    rows = outbox_rows(request, "message")
    assert len(rows) == 3 and all(len(r.text) <= 4096 for r in rows)
    assert [bool(r.buttons) for r in rows] == [False, False, True]  # «Ответить» under the last part

    def state():
        return [(e.delivery, e.delivery_text) for e in conversation.thread(request) if e.message][0]
    rows[0].status = "sent"
    db.session.commit()
    assert state() == ("pending", "в очереди")
    rows[1].status, rows[1].failure = "failed", "blocked"
    db.session.commit()
    assert state() == ("failed", "не доставлено: житель заблокировал бота")
    for row in rows:
        row.status, row.failure = "sent", ""
    db.session.commit()
    assert state() == ("sent", "доставлено")


def test_a_staff_photo_is_stored_and_sent_with_the_text_as_caption(filed, app):
    request, staff = filed
    message = conversation.add_staff_message(request, staff, "Так выглядит счётчик", photo=PNG)
    db.session.commit()
    [photo] = message.photos
    assert photo.file_path.startswith(storage.DB) and storage.read(photo.file_path) == PNG
    [row] = outbox_rows(request, "message")
    assert row.photo == photo.file_path and row.text.endswith("Так выглядит счётчик")
    conversation.add_staff_message(request, staff, "", photo=JPEG)
    db.session.commit()
    assert outbox_rows(request, "message")[-1].text == f"Фото по заявке № {request.number}"


@pytest.mark.parametrize("text,photo,error", [
    ("   ", None, "Напишите сообщение или приложите фото."),
    ("я" * 10_001, None, "длиннее 10000 символов"),
    ("gif", b"GIF89a" + b"0" * 50, "Это не фото: принимаются только изображения JPEG и PNG"),
    ("renamed", b"<html><script>", "Это не фото"),
    ("huge", b"\xff\xd8\xff" + b"0" * SEND_PHOTO_MAX_BYTES, "больше 10 МБ"),
    ("corrupted", b"\xff\xd8\xff\xe0\x00\x10JFIF", "повреждён"),  # the same check as announcements'
    ("too long", png(9000, 2000), "Telegram не примет"),
])
def test_what_staff_cannot_send_is_refused_and_nothing_is_queued(filed, text, photo, error):
    request, staff = filed
    with pytest.raises(ConversationError, match=error):
        conversation.add_staff_message(request, staff, text, photo=photo)
    db.session.rollback()
    assert outbox_rows(request, "message") == []


def test_no_telegram_message_to_a_request_filed_by_phone_forgotten_or_archived(ctx):
    staff = factories.staff("operator")
    by_phone = factories.request(source="phone")
    with pytest.raises(ConversationError, match="по телефону"):
        conversation.add_staff_message(by_phone, staff, "Здравствуйте")
    forgotten = factories.request()  # filed in the bot by a resident who has since deleted their data
    with pytest.raises(ConversationError, match="удалил свои данные"):
        conversation.add_staff_message(forgotten, staff, "Здравствуйте")
    archived = factories.request(author_telegram_id=1, author_chat_id=1)
    archived.status = "archived"
    with pytest.raises(ConversationError, match="в архиве"):
        conversation.add_staff_message(archived, staff, "Здравствуйте")


# --- «Проблема решена?» --------------------------------------------------------------------

def test_done_asks_the_resident_in_one_message_with_yes_and_no(filed):
    request, staff = filed
    move(request, staff, "in_progress")
    request_service.change_status(request, "done", staff, "Заменили прокладку")
    db.session.commit()
    assert request.verdict == "asked" and request.confirmation_asked_at is not None
    [row] = outbox_rows(request, "confirm")
    assert row.text == (f"Статус вашей заявки № {request.number} изменён: выполнена.\nКомментарий: Заменили прокладку"
                        "\n\nПроблема решена?")
    assert [b["callback_data"] for b in json.loads(row.buttons)["inline_keyboard"][0]] == \
        [f"rq:yes:{request.id}", f"rq:no:{request.id}"]
    [question] = [e.message for e in conversation.thread(request) if e.message]
    assert (question.sender, question.kind) == ("bot", "question") and row.message_id == question.id
    assert [r.text for r in outbox_rows(request, "status")][-1].endswith("в работе.")  # no second «выполнена»


def test_a_request_filed_by_phone_is_not_asked(ctx):
    staff = factories.staff("operator")
    request = factories.request()
    request_service.assign_executor(request, factories.executor(), staff)
    move(request, staff, "in_progress", "done")
    assert request.verdict == "" and outbox_rows(request) == []


def test_yes_closes_the_request_by_the_resident_then_a_rating_once(filed):
    request, staff = filed
    move(request, staff, "in_progress", "done")
    notifications = len(outbox_rows(request))
    request_service.answer_confirmation(request, RESIDENT, solved=True)
    db.session.commit()
    assert (request.status, request.verdict, request.confirmation_asked_at) == ("closed", "confirmed", None)
    event = request.events[-1]
    assert (event.kind, event.to_status, event.actor_id, event.actor_label) == \
        ("status", "closed", None, "Житель (Telegram)")
    assert len(outbox_rows(request)) == notifications  # the bot answers the resident itself
    assert request.unread_messages == 0  # «Да» needs nobody's attention

    with pytest.raises(QuestionClosed, match="уже ответили, что проблема .* решена"):
        request_service.answer_confirmation(request, RESIDENT, solved=False)
    request_service.rate(request, 4)
    db.session.commit()
    assert request.rating == 4 and request.events[-1].kind == "rating" and request.events[-1].to_value == "4"
    with pytest.raises(RequestError, match="уже сохранена: 4"):
        request_service.rate(request, 5)


def test_no_returns_the_request_to_work_with_its_executor_and_alerts_staff(filed):
    request, staff = filed
    executor = request.executor_id
    move(request, staff, "in_progress", "done")
    request_service.answer_confirmation(request, RESIDENT, solved=False)
    db.session.commit()
    db.session.refresh(request)
    assert (request.status, request.verdict, request.executor_id) == ("in_progress", "returned", executor)
    assert request.unread_messages == 1
    assert request.events[-1].actor_label == "Житель (Telegram)" and request.events[-1].from_status == "done"
    with pytest.raises(RequestError, match="Оценить можно"):
        request_service.rate(request, 5)
    move(request, staff, "done")  # done again: asked again
    assert request.verdict == "asked"


def test_a_question_withdrawn_by_staff_cannot_be_answered(filed):
    request, staff = filed
    move(request, staff, "in_progress", "done", "closed")
    assert request.verdict == "" and request.confirmation_asked_at is None
    with pytest.raises(QuestionClosed, match="больше не актуален: .* сейчас «закрыта»"):
        request_service.answer_confirmation(request, RESIDENT, solved=True)


@pytest.mark.app_config(CONFIRM_DAYS=3)
def test_unanswered_questions_close_automatically_once(filed, app):
    request, staff = filed
    fresh = factories.request(request.client, author_telegram_id=RESIDENT, author_chat_id=RESIDENT)
    for obj in (request, fresh):
        request_service.assign_executor(obj, request.executor, staff)
        move(obj, staff, "in_progress", "done")
    request.confirmation_asked_at = utcnow() - timedelta(days=3, minutes=1)
    db.session.commit()

    assert request_service.close_unconfirmed(app.config["CONFIRM_DAYS"]) == 1
    db.session.commit()
    assert request_service.close_unconfirmed(app.config["CONFIRM_DAYS"]) == 0  # a second run changes nothing
    assert (request.status, request.verdict, fresh.status, fresh.verdict) == ("closed", "auto_closed", "done", "asked")
    event = request.events[-1]
    assert (event.to_status, event.actor_label) == ("closed", "Автоматически")
    assert event.comment == "Закрыта автоматически: житель не ответил на вопрос «Проблема решена?» за 3 дня."
    last = outbox_rows(request, "status")[-1]
    assert last.text.startswith(f"Статус вашей заявки № {request.number} изменён: закрыта.")
    with pytest.raises(QuestionClosed, match="закрыта автоматически"):
        request_service.answer_confirmation(request, RESIDENT, solved=True)


STAFF_CHAT = -1001234567890


def staff_chat_rows() -> list[Notification]:
    return db.session.execute(select(Notification).where(Notification.chat_id == STAFF_CHAT)
                              .order_by(Notification.id)).scalars().all()


@pytest.mark.app_config(CONFIRM_DAYS=3, STAFF_CHAT_ID=STAFF_CHAT, WEB_URL="https://zhkh.example.ru")
def test_a_message_instead_of_an_answer_stops_the_clock_and_alerts_the_dispatcher(filed, app):
    request, staff = filed
    move(request, staff, "in_progress", "done")
    conversation.add_resident_message(request, RESIDENT, "Нет, всё ещё течёт!")
    conversation.add_resident_message(request, RESIDENT, "", photo=("file-2", "uniq-2"))  # one alert, not two
    db.session.commit()
    db.session.refresh(request)
    assert (request.status, request.verdict, request.unread_messages) == ("done", "wrote", 2)
    assert request_service.confirmation_deadline(request, 3) is None
    [alert] = staff_chat_rows()
    assert (alert.kind, alert.request_id) == ("alert", request.id)
    assert alert.text == (f"✉️ Заявка № {request.number}: житель написал вместо ответа на «Проблема решена?»: "
                          "«Нет, всё ещё течёт!»\nЗаявка не закроется сама: решите по ней.\n"
                          f"https://zhkh.example.ru/requests/{request.id}")

    request.confirmation_asked_at = utcnow() - timedelta(days=30)
    db.session.commit()
    assert request_service.close_unconfirmed(3) == 0
    db.session.commit()
    assert (request.status, request.verdict) == ("done", "wrote")

    request_service.answer_confirmation(request, RESIDENT, solved=False)  # the buttons still answer
    db.session.commit()
    assert (request.status, request.verdict) == ("in_progress", "returned")


def test_a_message_after_the_answer_or_on_another_status_does_not_touch_the_verdict(filed):
    request, staff = filed
    conversation.add_resident_message(request, RESIDENT, "Когда придёт мастер?")
    move(request, staff, "in_progress", "done")
    request_service.answer_confirmation(request, RESIDENT, solved=True)
    conversation.add_resident_message(request, RESIDENT, "Спасибо!")
    db.session.commit()
    assert (request.status, request.verdict) == ("closed", "confirmed")


@pytest.mark.app_config(CONFIRM_DAYS=3, STAFF_CHAT_ID=STAFF_CHAT)
def test_an_undelivered_question_is_left_to_the_dispatcher_with_the_reason(filed, app):
    request, staff = filed
    move(request, staff, "in_progress", "done")
    [question] = outbox_rows(request, "confirm")
    assert request_service.close_unconfirmed(3) == 0 and request.verdict == "asked"  # pending: nothing yet
    question.status, question.failure = outbox.FAILED, "blocked"
    db.session.commit()

    assert request_service.close_unconfirmed(3) == 0  # seen at once, not after three days
    db.session.commit()
    assert (request.status, request.verdict) == ("done", "undelivered")
    event = request.events[-1]
    assert (event.kind, event.actor_label) == ("comment", "Автоматически")
    assert event.comment == ("Вопрос «Проблема решена?» не доставлен: житель заблокировал бота. Заявка не "
                             "закроется автоматически: позвоните жителю, затем закройте её или верните в работу.")
    [alert] = staff_chat_rows()
    assert alert.text == (f"📵 Заявка № {request.number}: вопрос «Проблема решена?» не доставлен — житель "
                          "заблокировал бота.\nЗаявка не закроется сама: позвоните жителю (+7 912 345-67-89).")
    events = len(request.events)
    request.confirmation_asked_at = utcnow() - timedelta(days=30)
    db.session.commit()
    assert request_service.close_unconfirmed(3) == 0  # never «не ответил», never twice
    db.session.commit()
    db.session.refresh(request)
    assert (request.status, len(staff_chat_rows()), len(request.events)) == ("done", 1, events)

    move(request, staff, "in_progress", "done")  # asked again, delivered this time: the old failure is history
    request.confirmation_asked_at = utcnow() - timedelta(days=3, minutes=1)
    db.session.commit()
    assert request_service.close_unconfirmed(3) == 1
    db.session.commit()
    assert (request.status, request.verdict) == ("closed", "auto_closed")


# --- small pieces --------------------------------------------------------------------------

@pytest.mark.parametrize("n,text", [(1, "1 день"), (2, "2 дня"), (5, "5 дней"), (11, "11 дней"), (21, "21 день"),
                                    (14, "14 дней"), (22, "22 дня")])
def test_days_text(n, text):
    assert request_service.days_text(n) == text


def test_the_question_and_the_answers_are_kept_in_order(filed):
    request, staff = filed
    move(request, staff, "in_progress", "done")
    request_service.answer_confirmation(request, RESIDENT, solved=True)
    request_service.rate(request, 5)
    db.session.commit()
    kinds = db.session.execute(select(RequestEvent.kind).where(RequestEvent.request_id == request.id)
                               .order_by(RequestEvent.id)).scalars().all()
    assert kinds[-2:] == ["status", "rating"]
    messages = db.session.execute(select(RequestMessage.kind).where(RequestMessage.request_id == request.id)
                                  .order_by(RequestMessage.id)).scalars().all()
    assert messages == ["question", "solved"]
    assert Verdict(request.verdict).label == "подтвердил"
    assert db.session.get(Request, request.id).rating == 5
