"""The conversation on a request through the real worker and the local Bot API: «Мои заявки» as
buttons and cards, the resident writing to the dispatcher, staff messages and their delivery,
«Проблема решена?» with the rating, the automatic close, forged and old buttons, restarts.

Staff mostly act through the services the web views call; the first test goes through the
request page over HTTP (the page's own tests: tests/journal/test_conversation.py)."""
import copy
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.bot.jobs import JOBS, JobRunner
from app.extensions import db
from app.models import (Executor, Notification, Request, RequestMessage, RequestPhoto, TelegramBinding,
                        utcnow)
from app.services.requests import conversation
from app.services.requests import lifecycle as request_service
from tests.bot.conftest import dispatcher, running, staff_browser
from tests.bot.test_requests import MENU, number_in, to_summary

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]

RATINGS = ["1 ★", "2 ★", "3 ★", "4 ★", "5 ★"]  # the rating's buttons: the text says what the ends mean


@pytest.fixture
def world(bot_world):
    yield from running(bot_world)


def file(world, r, **kwargs) -> int:
    """The resident files a request through the bot; returns its id."""
    to_summary(r, **kwargs)
    r.press("Да, это мой номер")
    number = number_in(r.expect("Заявка №").text)
    with world.app.app_context():
        return db.session.execute(select(Request.id).where(Request.number == number)).scalar_one()


def test_resident_and_staff_write_through_the_bot_and_the_request_page(world):
    r = world.identified()
    request_id = file(world, r)
    page_url = f"/requests/{request_id}"
    browser = staff_browser(world)

    r.send("Мои заявки")
    r.press(r.expect("Ваши заявки").buttons[0])
    r.press("Написать по заявке", message=r.expect("Заявка №"))
    r.expect("Напишите сообщение")
    r.send("Кран капает и ночью")
    r.expect("Передано диспетчеру")
    r.send_photo(b"\xff\xd8 night leak")
    r.expect("Фото передано")
    assert world.api.wait_until(lambda: all(path for _, path in load(world, request_id)["photos"]), 15)
    page = browser.page(page_url)
    thread = page[page.index('id="thread"'):page.index('id="message-form"')]
    assert "Кран капает и ночью" in thread and thread.count(">новое<") == 2
    photo = re.search(r'<img src="(/requests/\d+/photos/\d+)" alt="Фото к сообщению"', thread).group(1)
    assert browser.get(photo).data == b"\xff\xd8 night leak"
    assert load(world, request_id)["unread"] == 0  # seen

    response = browser.post(f"{page_url}/messages", {"text": "Мастер придёт в 19:00"})
    assert response.status_code == 303
    reply = r.expect("Сообщение по заявке №", "Мастер придёт в 19:00")
    assert reply.buttons == ["Ответить"]
    assert world.api.wait_until(lambda: ">доставлено<" in browser.page(f"{page_url}/thread"), 10)

    world.api.block(r.chat_id)
    try:
        browser.post(f"{page_url}/messages", {"text": "Вы заблокировали бота?"})
        assert world.api.wait_until(
            lambda: ">не доставлено: житель заблокировал бота<" in browser.page(f"{page_url}/thread"), 10)
    finally:
        world.api.block(r.chat_id, False)


def as_staff(world, request_id, *actions) -> None:
    """Staff work on the request: "assign", a status, or ("write", text)."""
    with world.app.app_context():
        request = db.session.get(Request, request_id)
        for action in actions:
            if action == "assign":
                executor = db.session.execute(select(Executor)).scalars().first()
                request_service.assign_executor(request, executor, dispatcher())
            elif isinstance(action, tuple):
                conversation.add_staff_message(request, dispatcher(), action[1])
            else:
                request_service.change_status(request, action, dispatcher())
        db.session.commit()


def load(world, request_id) -> dict:
    with world.app.app_context():
        request = db.session.get(Request, request_id)
        messages = db.session.execute(select(RequestMessage).where(RequestMessage.request_id == request_id)
                                      .order_by(RequestMessage.id)).scalars().all()
        photos = db.session.execute(select(RequestPhoto).where(RequestPhoto.request_id == request_id,
                                                               RequestPhoto.message_id.is_not(None))).scalars().all()
        return {"status": request.status, "verdict": request.verdict, "rating": request.rating,
                "unread": request.unread_messages, "executor": request.executor_id,
                "messages": [(m.sender, m.kind, m.text, m.on_closed) for m in messages],
                "photos": [(p.message_id, p.file_path) for p in photos],
                "events": [(e.kind, e.to_status, e.actor_label, e.to_value) for e in request.events]}


def staff_rows(world, request_id) -> list[Notification]:
    with world.app.app_context():
        rows = db.session.execute(select(Notification).where(Notification.request_id == request_id,
                                                             Notification.message_id.is_not(None))
                                  .order_by(Notification.id)).scalars().all()
        db.session.expunge_all()
        return rows


# --- «Мои заявки» ----------------------------------------------------------------------------

def test_my_requests_are_buttons_newest_first_in_pages_and_open_a_card(world):
    r = world.identified("100003")
    r.send("Мои заявки")
    r.expect("У вас пока нет заявок")
    ids = [file(world, r, description=f"Заявка {n}") for n in range(7)]
    as_staff(world, ids[0], "assign", "in_progress", ("write", "Мастер придёт в среду после обеда"))
    r.wait_for("Сообщение по заявке")

    r.send("Мои заявки")
    first = r.expect("Ваши заявки (1–5 из 7), новые сверху")
    yesterday = copy.deepcopy(first)  # as another device still shows it
    numbers = [int(re.match(r"№ (\d+) · ", b).group(1)) for b in first.buttons[:-1]]
    assert numbers == sorted(numbers, reverse=True) and first.buttons[-1] == "Ещё »"
    assert "Сантехника" in first.buttons[0] and first.buttons[0].endswith("· новая")
    r.press("Ещё »", message=first)
    second = r.message(first.message_id)  # the same message, now page 2
    assert second.text.startswith("Ваши заявки (6–7 из 7)") and second.buttons[-1] == "« Назад"
    oldest = next(b for b in second.buttons if b.startswith(f"№ {min(numbers) - 2} "))
    assert oldest.endswith("· в работе")

    r.press(oldest, message=second)
    card = r.expect(f"Заявка № {min(numbers) - 2} от ", "Категория: Сантехника / Протечка",
                    "Адрес: г. Самара, пр. Мира, д. 1Б, кв. 40", "Статус: в работе с ",
                    "Исполнитель: Петров Пётр, Сантехник", "Последние сообщения:",
                    "Диспетчер: Мастер придёт в среду после обеда")
    assert "Диспетчер Дарья" not in card.text  # staff names stay in the office
    assert card.buttons == ["Написать по заявке", "« К списку"]
    r.press("« К списку", message=card)
    assert r.message(card.message_id).text.startswith("Ваши заявки (1–5 из 7)")
    r.press("Ещё »", message=yesterday)  # an old list still works
    assert r.message(first.message_id).text.startswith("Ваши заявки (6–7 из 7)")


# --- the resident writes ---------------------------------------------------------------------

def test_resident_writes_text_photos_and_an_album_then_done(world):
    r = world.identified()
    request_id = file(world, r)
    r.send("Мои заявки")
    r.press(r.expect("Ваши заявки").buttons[0])
    r.press("Написать по заявке", message=r.expect("Заявка №"))
    r.expect("Напишите сообщение по заявке", "Когда закончите, нажмите «Готово»")
    assert r.keyboard == ["Готово"]  # one way out, no second cancel

    r.send("Доступ в квартиру после 18:00")
    r.expect("Передано диспетчеру")
    r.send_photo(b"\xff\xd8 only a photo")  # no text at all: kept
    r.expect("Фото передано диспетчеру")
    r.send_photo(b"\xff\xd8 album 1", caption="Вот так течёт", media_group_id="alb-7")
    r.send_photo(b"\xff\xd8 album 2", media_group_id="alb-7")
    r.expect("Фото передано диспетчеру")  # one reply for the album
    r.send_sticker()
    r.expect("Такое сообщение не передать диспетчеру")
    r.send_voice()
    r.expect("Такое сообщение не передать диспетчеру")
    r.send_document(b"%PDF-1.4", "акт.pdf", "application/pdf")
    r.expect("Такое сообщение не передать диспетчеру")
    r.send("Готово")
    r.expect("сообщений по заявке", "передано диспетчеру — 4")
    assert r.keyboard == MENU

    state = load(world, request_id)
    assert [(s, k, t) for s, k, t, _ in state["messages"]] == [
        ("resident", "message", "Доступ в квартиру после 18:00"), ("resident", "message", ""),
        ("resident", "message", "Вот так течёт"), ("resident", "message", "")]
    assert state["unread"] == 4 and state["status"] == "new"
    assert world.api.wait_until(lambda: all(path for _, path in load(world, request_id)["photos"]), 15)
    stored = sorted(world.stored(path) for _, path in load(world, request_id)["photos"])
    assert stored == [b"\xff\xd8 album 1", b"\xff\xd8 album 2", b"\xff\xd8 only a photo"]
    r.send("Тест после Готово")  # no longer in the writing mode
    r.expect("Не понял вас")
    assert len(load(world, request_id)["messages"]) == 4


def test_an_album_gets_one_reply_and_one_refusal(world):
    r = world.identified(world.new_account())
    request_id = file(world, r)
    r.send("Мои заявки")
    r.press(r.expect("Ваши заявки").buttons[0])
    r.press("Написать по заявке", message=r.expect("Заявка №"))
    r.expect("Напишите сообщение")
    for n in range(2):  # an album of images sent as files, each too big for the Bot API to hand out
        r.send_document(b"huge", f"IMG_{n}.JPG", "image/jpeg", file_size=25 * 1024 * 1024, media_group_id="big")
    r.expect("Файл больше 20 МБ")
    for n in range(3):
        r.send_photo(b"\xff\xd8 wall %d" % n, caption="Трещина в стене" if n == 0 else None, media_group_id="wall")
    r.expect("Фото передано диспетчеру")
    r.send("👀")  # no letter or digit: nothing a dispatcher can read
    r.expect("напишите словами")  # the very next reply: nothing more was said about either album
    r.send("Готово")
    r.expect("передано диспетчеру — 3")
    state = load(world, request_id)
    assert [m[:3] for m in state["messages"]] == [("resident", "message", "Трещина в стене"),
                                                  ("resident", "message", ""), ("resident", "message", "")]
    assert world.api.wait_until(lambda: all(path for _, path in load(world, request_id)["photos"]), 15)
    stored = sorted(world.stored(path) for _, path in load(world, request_id)["photos"])
    assert stored == [b"\xff\xd8 wall %d" % n for n in range(3)]


def test_opening_the_list_or_another_card_leaves_the_writing_mode(world):
    """«Написать» on one request, then another's card: what is typed next never lands on the first."""
    r = world.identified("100004")
    first, second = file(world, r, description="Течёт кран"), file(world, r, description="Не горит лампа")
    with world.app.app_context():
        first_number, second_number = (db.session.get(Request, i).number for i in (first, second))
    r.send("Мои заявки")
    listing = r.expect("Ваши заявки")

    def button(number):
        return next(b for b in listing.buttons if b.startswith(f"№ {number} "))
    r.press(button(first_number), message=listing)
    r.press("Написать по заявке", message=r.expect(f"Заявка № {first_number} от"))
    r.expect(f"Напишите сообщение по заявке № {first_number}")
    r.send("Течёт сильнее")
    r.expect(f"Передано диспетчеру — добавлено к заявке № {first_number}.")

    r.press(button(second_number), message=listing)  # another card: the writing mode is over
    r.expect(f"сообщений по заявке № {first_number} передано диспетчеру — 1")
    assert r.keyboard == MENU
    card = r.expect(f"Заявка № {second_number} от")
    r.send("Когда придёт мастер?")
    r.expect("Не понял вас")
    assert [m[2] for m in load(world, first)["messages"]] == ["Течёт сильнее"]
    assert load(world, second)["messages"] == []

    r.press("Написать по заявке", message=card)
    r.expect(f"Напишите сообщение по заявке № {second_number}")
    r.send("Когда придёт мастер?")
    r.expect(f"Передано диспетчеру — добавлено к заявке № {second_number}.")
    r.send_photo(b"\xff\xd8 lamp")
    r.expect(f"Фото передано диспетчеру — добавлено к заявке № {second_number}.")
    r.send("Мои заявки")  # the list: the writing mode is over too
    r.expect(f"сообщений по заявке № {second_number} передано диспетчеру — 2")
    assert r.keyboard == MENU
    r.expect("Ваши заявки")
    r.send("Ещё вопрос")
    r.expect("Не понял вас")
    r.press("Написать по заявке", message=card)
    r.expect(f"Напишите сообщение по заявке № {second_number}")
    r.send("Мои заявки")  # nothing written this time: the list at once, and no writing mode after it
    r.expect("Ваши заявки")
    r.send("Ещё вопрос")
    r.expect("Не понял вас")
    assert [m[2] for m in load(world, second)["messages"]] == ["Когда придёт мастер?", ""]
    assert [m[2] for m in load(world, first)["messages"]] == ["Течёт сильнее"]


def test_a_message_on_a_closed_request_is_flagged_and_does_not_reopen_it(world):
    r = world.identified("100002")
    request_id = file(world, r)
    as_staff(world, request_id, "closed")
    r.wait_for("изменён: закрыта")
    r.send("Мои заявки")
    r.press(r.expect("Ваши заявки").buttons[0])
    r.press("Написать по заявке", message=r.expect("Статус: закрыта"))
    r.expect("Напишите сообщение", "Заявка закрыта: диспетчер увидит сообщение, но заявка не откроется заново")
    r.send("Снова капает")
    r.expect("Передано диспетчеру")
    state = load(world, request_id)
    assert state["status"] == "closed" and state["messages"][-1] == ("resident", "message", "Снова капает", True)


# --- staff write ---------------------------------------------------------------------------

def test_staff_message_reaches_the_resident_as_plain_text_and_reply_opens_the_writing_mode(world):
    r = world.identified()
    request_id = file(world, r)
    as_staff(world, request_id, ("write", "Когда вам удобно? <b>Ответьте</b> *пожалуйста*"))
    message = r.expect("Сообщение по заявке №", "Когда вам удобно? <b>Ответьте</b> *пожалуйста*")
    assert message.parse_mode is None and message.buttons == ["Ответить"]
    assert world.api.wait_until(lambda: [n.status for n in staff_rows(world, request_id)] == ["sent"], 10)
    with world.app.app_context():
        [entry] = [e for e in conversation.thread(db.session.get(Request, request_id)) if e.message]
        assert (entry.delivery, entry.delivery_text) == ("sent", "доставлено")

    r.press("Ответить", message=message)
    r.expect("Напишите сообщение по заявке")
    r.send("Завтра с 9 до 12")
    r.expect("Передано диспетчеру")
    assert load(world, request_id)["messages"][-1][:3] == ("resident", "message", "Завтра с 9 до 12")


def test_a_long_staff_message_arrives_in_parts_with_the_button_under_the_last(world):
    r = world.identified()
    request_id = file(world, r)
    text = "Подробная инструкция. " + "перекройте воду и ждите мастера " * 200  # ~6 500 characters
    as_staff(world, request_id, ("write", text))
    first = r.expect("Сообщение по заявке №", "Подробная инструкция.")
    second = r.next_message()
    assert first.buttons == [] and second.buttons == ["Ответить"]
    assert (first.text + " " + second.text).split()[5:] == text.split()  # after «Сообщение по заявке № N:»


def test_a_blocked_bot_shows_as_not_delivered(world):
    r = world.identified("100004")
    request_id = file(world, r)
    world.api.block(r.chat_id)
    try:
        as_staff(world, request_id, ("write", "Мастер придёт завтра"))
        assert world.api.wait_until(lambda: [n.status for n in staff_rows(world, request_id)] == ["failed"], 10)
    finally:
        world.api.block(r.chat_id, False)
    with world.app.app_context():
        [entry] = [e for e in conversation.thread(db.session.get(Request, request_id)) if e.message]
    assert entry.delivery_text == "не доставлено: житель заблокировал бота"


# --- «Проблема решена?» ------------------------------------------------------------------------

def test_yes_closes_the_request_then_a_rating_and_a_comment(world):
    r = world.identified()
    request_id = file(world, r)
    as_staff(world, request_id, "assign", "in_progress", "done")
    question = r.wait_for("Проблема решена?")
    assert "изменён: выполнена." in question.text and question.buttons == ["Да", "Нет"]
    old_question = copy.deepcopy(question)  # as another device still shows them
    r.press("Да", message=question)
    thanks = r.expect("Спасибо! Заявка №", "закрыта. Оцените", "1 — плохо … 5 — отлично")
    assert thanks.buttons == RATINGS and r.message(question.message_id).buttons == []
    old_thanks = copy.deepcopy(thanks)
    r.press("5 ★", message=thanks)
    assert r.message(thanks.message_id).text.endswith("★★★★★ (5). Спасибо!")
    r.expect("напишите комментарий к работе")
    r.send("Мастер всё сделал быстро")
    r.expect("Передано диспетчеру")
    r.send("Готово")
    r.expect("передано диспетчеру — 1")

    state = load(world, request_id)
    assert (state["status"], state["verdict"], state["rating"]) == ("closed", "confirmed", 5)
    assert state["events"][-2:] == [("status", "closed", "Житель (Telegram)", ""),
                                    ("rating", None, "Житель (Telegram)", "5")]
    assert [m[:3] for m in state["messages"]] == [("bot", "question", "Проблема решена?"),
                                                  ("resident", "solved", "Да, проблема решена."),
                                                  ("resident", "feedback", "Мастер всё сделал быстро")]
    assert state["unread"] == 1  # the comment; «Да» needs nobody's attention

    answer = r.press("3 ★", message=old_thanks)  # a second rating
    assert answer["text"] == "Эта кнопка устарела."
    r.expect("уже сохранена: 5")
    r.press("Нет", message=old_question)  # the answered question
    r.expect("Вы уже ответили, что проблема по заявке")
    assert load(world, request_id)["status"] == "closed"


def test_no_returns_the_request_to_work_and_asks_what_is_wrong(world):
    r = world.identified()
    request_id = file(world, r)
    as_staff(world, request_id, "assign", "in_progress", "done")
    executor = load(world, request_id)["executor"]
    r.press("Нет", message=r.wait_for("Проблема решена?"))
    r.expect("возвращена в работу", "Что не так?")
    assert r.keyboard == ["Готово"]
    r.send_photo(b"\xff\xd8 still leaking", caption="Всё ещё течёт под раковиной")
    r.expect("Фото передано диспетчеру")
    r.send("Готово")
    r.expect("передано диспетчеру — 1")

    state = load(world, request_id)
    assert (state["status"], state["verdict"], state["executor"]) == ("in_progress", "returned", executor)
    assert state["events"][-1] == ("status", "in_progress", "Житель (Telegram)", "")
    assert [m[:3] for m in state["messages"]][-2:] == [("resident", "unsolved", "Нет, проблема не решена."),
                                                       ("resident", "reason", "Всё ещё течёт под раковиной")]
    assert state["unread"] == 2  # the dispatchers are alerted: the journal marks and counts it


def test_no_answer_past_the_deadline_closes_the_request_automatically(world):
    r = world.identified()
    request_id = file(world, r)
    as_staff(world, request_id, "assign", "in_progress", "done")
    question = r.wait_for("Проблема решена?")
    old_question = copy.deepcopy(question)
    with world.app.app_context():
        db.session.execute(update(Request).where(Request.id == request_id)
                           .values(confirmation_asked_at=utcnow() - timedelta(days=3, minutes=5)))
        db.session.commit()
    [job] = [job for job in JOBS if job.name == "unconfirmed requests"]
    runner = JobRunner(world.app, bot=None, jobs=[job])
    assert runner.run(job) and runner.run(job)  # run twice: as after a restart; it closes once
    r.expect("изменён: закрыта.", "Закрыта автоматически: житель не ответил на вопрос «Проблема решена?» за 3 дня.")

    state = load(world, request_id)
    assert (state["status"], state["verdict"]) == ("closed", "auto_closed")
    assert [e for e in state["events"] if e[1] == "closed"] == [("status", "closed", "Автоматически", "")]
    r.press("Да", message=old_question)
    r.expect("уже закрыта автоматически")
    assert r.message(question.message_id).buttons == []


def run_auto_close(world, request_id) -> None:
    """The question was asked over CONFIRM_DAYS ago; the worker's auto-close job runs (twice: as after
    a restart)."""
    with world.app.app_context():
        db.session.execute(update(Request).where(Request.id == request_id)
                           .values(confirmation_asked_at=utcnow() - timedelta(days=3, minutes=5)))
        db.session.commit()
    [job] = [job for job in JOBS if job.name == "unconfirmed requests"]
    runner = JobRunner(world.app, bot=None, jobs=[job])
    assert runner.run(job) and runner.run(job)


def test_a_written_no_instead_of_the_button_stops_the_auto_close(world):
    r = world.identified()
    request_id = file(world, r)
    as_staff(world, request_id, "assign", "in_progress", "done")
    question = r.wait_for("Проблема решена?")
    r.send("Мои заявки")
    r.press(r.expect("Ваши заявки").buttons[0])
    r.press("Написать по заявке", message=r.expect("Заявка №"))
    r.expect("Напишите сообщение")
    r.send("Нет, всё ещё течёт!")
    r.next_message()  # the acknowledgement
    state = load(world, request_id)
    assert (state["status"], state["verdict"], state["unread"]) == ("done", "wrote", 1)

    run_auto_close(world, request_id)
    state = load(world, request_id)
    assert (state["status"], state["verdict"], state["unread"]) == ("done", "wrote", 1)
    assert [e for e in state["events"] if e[1] == "closed"] == []
    page = staff_browser(world).page(f"/requests/{request_id}")
    assert 'id="verdict-note">Житель написал сообщение вместо ответа' in page

    r.send("Готово")
    r.next_message()
    r.press("Нет", message=question)  # the question still answers
    r.expect("возвращена в работу")
    assert load(world, request_id)["status"] == "in_progress"


def test_an_undelivered_question_never_closes_as_not_answered(world):
    r = world.identified()
    request_id = file(world, r)
    as_staff(world, request_id, "assign", "in_progress")
    r.wait_for("изменён: в работе")
    world.api.block(r.chat_id)
    try:
        as_staff(world, request_id, "done")
        assert world.api.wait_until(
            lambda: [n.status for n in staff_rows(world, request_id) if n.kind == "confirm"] == ["failed"], 10)
    finally:
        world.api.block(r.chat_id, False)
    run_auto_close(world, request_id)

    state = load(world, request_id)
    assert (state["status"], state["verdict"]) == ("done", "undelivered")
    assert state["events"][-1] == ("comment", None, "Автоматически", "")
    with world.app.app_context():
        event = db.session.get(Request, request_id).events[-1]
        assert event.comment.startswith("Вопрос «Проблема решена?» не доставлен: житель заблокировал бота.")
    page = staff_browser(world).page(f"/requests/{request_id}")
    assert 'id="verdict-note">Вопрос «Проблема решена?» не доставлен жителю' in page
    assert "изменён: закрыта" not in "".join(m.text for m in world.api.messages(r.chat_id))


def test_the_card_answers_the_question_and_takes_the_rating(world):
    """The message that asked may be long gone: the card offers the same answers."""
    r = world.identified(world.new_account())
    request_id = file(world, r)
    as_staff(world, request_id, "assign", "in_progress", "done")
    r.wait_for("Проблема решена?")

    def open_card():
        r.send("Мои заявки")
        r.press(r.expect("Ваши заявки").buttons[0])
        return r.expect("Заявка №")
    card = open_card()
    assert "Проблема решена? Ответьте кнопкой ниже." in card.text
    assert card.buttons == ["Да", "Нет", "Написать по заявке", "« К списку"]
    r.press("Да", message=card)
    r.expect("Спасибо! Заявка №")
    redrawn = r.message(card.message_id)  # the card shows the request as it is now
    assert "Статус: закрыта с " in redrawn.text and redrawn.buttons[:5] == RATINGS
    card = open_card()  # the rating skipped for now: the card asks for it
    assert "Оцените, пожалуйста, работу" in card.text and "1 — плохо … 5 — отлично" in card.text
    assert card.buttons == [*RATINGS, "Написать по заявке", "« К списку"]
    r.press("4 ★", message=card)
    r.expect("напишите комментарий")
    assert load(world, request_id)["rating"] == 4
    card = open_card()
    assert "Ваша оценка: ★★★★☆ (4)" in card.text and card.buttons == ["Написать по заявке", "« К списку"]


def test_a_request_filed_by_phone_is_not_asked(world):
    r = world.identified()
    with world.app.app_context():
        request = db.session.get(Request, file(world, r))
        request.author_chat_id = request.author_telegram_id = None  # as the web files it
        db.session.commit()
        request_id = request.id
    as_staff(world, request_id, "assign", "in_progress", "done", "closed")
    assert load(world, request_id)["verdict"] == ""
    with world.app.app_context():
        assert db.session.execute(select(Notification).where(Notification.request_id == request_id,
                                                             Notification.kind != "reply")).first() is None


# --- forged and old buttons ----------------------------------------------------------------

def test_forged_buttons_for_another_residents_request_change_nothing(world):
    owner, intruder = world.identified(), world.identified(world.new_account())
    request_id = file(world, owner)
    as_staff(world, request_id, "assign", "in_progress", "done")
    owner.wait_for("Проблема решена?")
    intruder.send("Мои заявки")
    own_message = intruder.expect("У вас пока нет заявок")
    before = load(world, request_id)
    for data in (f"rq:yes:{request_id}", f"rq:no:{request_id}", f"rq:card:{request_id}",
                 f"rq:write:{request_id}", f"rq:rate:{request_id}:1", "rq:yes:999999"):
        answer = intruder.press_data(data, own_message)
        assert answer["text"] == "Заявка недоступна."
        intruder.expect("Такой заявки нет среди ваших")
    intruder.send("Вдруг записалось?")  # not in any writing mode
    intruder.expect("Не понял вас")
    assert load(world, request_id) == before


def test_buttons_of_a_released_pair_are_refused_with_the_reason(world):
    r = world.identified("100004")
    request_id = file(world, r)
    as_staff(world, request_id, "assign", "in_progress", ("write", "Уточните, пожалуйста, подъезд"))
    reply = r.wait_for("Уточните, пожалуйста, подъезд")
    as_staff(world, request_id, "done")
    question = r.wait_for("Проблема решена?")
    with world.app.app_context():  # the oldest pair of the account was released
        db.session.execute(TelegramBinding.__table__.delete().where(TelegramBinding.telegram_user_id == r.user_id))
        db.session.commit()
    before = load(world, request_id)
    for text, message in (("Да", question), ("Ответить", reply)):
        assert r.press(text, message=message)["text"] == "Заявка недоступна."
        r.expect("подана по лицевому счёту, к которому вы больше не привязаны")
    assert load(world, request_id) == before


def test_writing_on_an_archived_request_is_refused(world):
    r = world.identified()
    request_id = file(world, r)
    as_staff(world, request_id, ("write", "Вопрос по заявке"))
    reply = r.wait_for("Вопрос по заявке")
    with world.app.app_context():
        db.session.execute(update(Request).where(Request.id == request_id).values(status="archived"))
        db.session.commit()
    r.press("Ответить", message=reply)
    r.expect("в архиве: написать по ней нельзя")
    r.send("Всё равно пишу")
    r.expect("Не понял вас")
    assert load(world, request_id)["messages"][-1][0] == "staff"


# --- restarts ------------------------------------------------------------------------------

def test_the_accepted_reply_is_delivered_once_after_a_kill_between_commit_and_send(world):
    r = world.identified()
    summary = to_summary(r)
    world.api.inject("sendMessage", "500", times=10_000)  # every send fails: the reply stays queued
    r.press("Да, это мой номер", message=summary)

    def queued() -> bool:
        with world.app.app_context():
            attempts = db.session.execute(select(Notification.attempts).where(
                Notification.chat_id == r.chat_id, Notification.text.like("Заявка № % принята%"),
                Notification.status == "pending")).scalar_one_or_none()
            return (attempts or 0) > 0  # committed, and tried at least once
    assert world.api.wait_until(queued, 10)
    world.worker.kill()  # SIGKILL: the request is committed, its reply not sent
    world.api.clear_faults()
    world.worker.start()
    r.expect("Заявка №", "принята", timeout=60)  # after the failed sends' backoff, however slow the host
    r.send("/help")
    r.expect("Что умеет бот")  # nothing between: the reply came once
    with world.app.app_context():
        [row] = db.session.execute(select(Notification).where(
            Notification.chat_id == r.chat_id, Notification.text.like("Заявка № % принята%"))).scalars().all()
        assert row.status == "sent" and row.attempts >= 2


def test_staff_messages_written_while_the_worker_is_down_arrive_after_the_restart(world):
    r = world.identified()
    request_id = file(world, r)
    assert world.worker.stop() == 0
    as_staff(world, request_id, ("write", "Пока бот стоял: мастер придёт в 15:00"))
    assert [n.status for n in staff_rows(world, request_id)] == ["pending"]
    world.worker.start()
    r.expect("Сообщение по заявке №", "Пока бот стоял: мастер придёт в 15:00")
    assert world.api.wait_until(lambda: [n.status for n in staff_rows(world, request_id)] == ["sent"], 10)
