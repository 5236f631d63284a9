"""Executors in Telegram through the real worker and the local Bot API: the invitation, the job sent
on assignment (with the resident's photos and phone), «Принял, в работе», «Выполнено» with a photo
report that lands on the request page, reassignment and revocation, and forged or old buttons.

Staff act through the services the web views call (the pages' own tests: tests/web)."""
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import (Category, Executor, ExecutorInvitation, Notification, Request, RequestEvent,
                        RequestMessage, utcnow)
from app.services.people import executor_links
from app.services.requests import lifecycle as request_service
from app.telegram.codec import lasting_button as button_data
from app.timezone import format_local
from devtools.local_api import Resident
from tests.bot.conftest import dispatcher, running, staff_browser
from tests.bot.test_requests import number_in, start_request, to_summary

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]

_names = itertools.count(1)
EXECUTOR_MENU = ["Мои задания", "Помощь"]


@pytest.fixture
def world(bot_world):
    yield from running(bot_world)


def new_executor(world, position: str = "Сантехник") -> int:
    with world.app.app_context():
        executor = Executor(full_name=f"Мастер Номер{next(_names)}", position=position, phone="+79990001122")
        db.session.add(executor)
        db.session.commit()
        return executor.id


def invite(world, executor_id: int) -> str:
    with world.app.app_context():
        invitation = executor_links.create_invitation(db.session.get(Executor, executor_id), dispatcher())
        db.session.commit()
        return invitation.code


def bound_executor(world, executor_id: int | None = None) -> tuple[int, Resident]:
    """A new executor who opened their invitation: (executor id, their Telegram chat)."""
    executor_id = executor_id or new_executor(world)
    person = world.resident("Мастер")
    person.send(f"/start {invite(world, executor_id)}")
    welcome = person.expect("Вы подключены как исполнитель")
    assert welcome.keyboard == EXECUTOR_MENU
    return executor_id, person


def file(world, r, photo: bytes | None = None) -> tuple[int, int]:
    """The resident files a request through the bot (with a photo, if given): (id, number)."""
    if photo is None:
        to_summary(r)
    else:
        start_request(r)
        r.send_photo(photo)
        r.expect("Фото добавлено")
        r.send("Течёт кран на кухне")
        r.expect("Записал")
        r.send("Готово")
        r.expect("Описание принято")
        r.expect("Проверьте заявку")
    r.press("Да, это мой номер")
    number = number_in(r.expect("Заявка №").text)
    with world.app.app_context():
        return db.session.execute(select(Request.id).where(Request.number == number)).scalar_one(), number


def assign(world, request_id: int, executor_id: int) -> None:
    with world.app.app_context():
        request_service.assign_executor(db.session.get(Request, request_id), db.session.get(Executor, executor_id),
                                        dispatcher())
        db.session.commit()


def status_of(world, request_id: int) -> str:
    with world.app.app_context():
        return db.session.get(Request, request_id).status


def test_the_invitation_binds_the_executor_who_then_never_sees_the_residents_menu(world):
    executor_id, person = bound_executor(world)
    with world.app.app_context():
        executor = db.session.get(Executor, executor_id)
        assert executor.telegram_user_id == person.user_id and executor.telegram_chat_id == person.chat_id
        assert executor.telegram_name == "Мастер"
    person.send("Мои задания")
    person.expect("Открытых заданий нет")
    person.send("Создать заявку")  # a resident's button typed: not the resident's dialog
    assert person.expect("Не понял вас", "Мои задания").keyboard == EXECUTOR_MENU
    person.send("/start")
    assert person.expect("Меню исполнителя").keyboard == EXECUTOR_MENU
    person.send("/help")
    person.expect("Что умеет бот для исполнителя")
    person.send_sticker()
    person.expect("Не понял вас")


def test_a_code_works_once_for_a_day_and_a_newer_one_cancels_it(world):
    executor_id = new_executor(world)
    old = invite(world, executor_id)
    code = invite(world, executor_id)  # the newer invitation: the old link stops working
    stranger = world.resident()
    stranger.send(f"/start {old}")
    assert stranger.expect("недействительна").keyboard == ["Идентификация"]
    stranger.send("/start inv_not-a-real-code")
    stranger.expect("недействительна")

    person = world.resident("Мастер")
    person.send(f"/start {code}")
    person.expect("Вы подключены как исполнитель")
    person.send(f"/start {code}")
    person.expect("Вы уже подключены как исполнитель")
    stranger.send(f"/start {code}")  # reused by someone else
    stranger.expect("уже использована")

    late = invite(world, new_executor(world))
    with world.app.app_context():
        db.session.execute(update(ExecutorInvitation).where(ExecutorInvitation.code == late)
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    stranger.send(f"/start {late}")
    stranger.expect("Срок ссылки-приглашения истёк")
    with world.app.app_context():
        assert db.session.execute(select(Executor.id).where(Executor.telegram_user_id == stranger.user_id)).first() \
            is None

    other = invite(world, new_executor(world))  # one Telegram account serves one executor
    person.send(f"/start {other}")
    assert person.expect("уже подключён как исполнитель").keyboard == EXECUTOR_MENU


def test_an_assigned_job_is_taken_and_reported_done_with_photos_and_shows_on_the_request_page(world):
    resident = world.identified()
    request_id, number = file(world, resident, photo=b"\xff\xd8 resident leak")
    executor_id, person = bound_executor(world)

    assign(world, request_id, executor_id)
    photo = person.expect(f"Фото жителя к заявке № {number} (1 из 1)")
    assert world.api.file_bytes(photo.photo) == b"\xff\xd8 resident leak"
    card = person.expect(f"Заявка № {number}", "назначена исполнителю", "Сантехника / Протечка",
                         "ул. Ленина, д. 5А, кв. 12", "Иванов Иван Иванович", "Телефон: +79123456789",
                         "Течёт кран на кухне")
    assert card.buttons == ["Принял, в работе", "Выполнено"]
    resident.expect(f"Статус вашей заявки № {number} изменён: назначена исполнителю")

    answer = person.press("Принял, в работе", message=card)
    assert answer.get("text") == "Принято в работу"
    person.expect(f"Заявка № {number} принята в работу")
    assert world.api.wait_until(lambda: person.message(card.message_id).buttons == ["Выполнено"], 5)
    assert status_of(world, request_id) == "in_progress"
    resident.expect(f"Статус вашей заявки № {number} изменён: в работе")
    person.press_data(button_data("take", request_id), card)  # a second tap raced the edit: nothing moves twice
    person.expect("уже «в работе»")

    person.press("Выполнено")
    person.expect(f"Отчёт о выполнении заявки № {number}")
    person.send("Заменил прокладку, течи нет")
    person.expect("Комментарий записан")
    person.send_photo(b"\xff\xd8 fixed tap", caption="после ремонта")
    person.expect("Фото добавлено (1 из 10)")
    person.send_voice()
    person.expect("не подойдёт для отчёта")
    person.send("Готово")
    assert person.expect(f"Заявка № {number} отмечена выполненной, отчёт передан").keyboard == EXECUTOR_MENU
    resident.expect(f"Статус вашей заявки № {number} изменён: выполнена", "Проблема решена?")

    with world.app.app_context():
        request = db.session.get(Request, request_id)
        assert request.status == "done"
        moves = db.session.execute(select(RequestEvent.to_status, RequestEvent.actor_label, RequestEvent.actor_id)
                                   .where(RequestEvent.request_id == request_id, RequestEvent.kind == "status")
                                   .order_by(RequestEvent.id)).all()
        executor_name = db.session.get(Executor, executor_id).full_name
        by_executor = f"Исполнитель {executor_name} (Telegram)"
        assert moves[-2:] == [("in_progress", by_executor, None), ("done", by_executor, None)]
        report = db.session.execute(select(RequestMessage).where(RequestMessage.request_id == request_id,
                                                                 RequestMessage.sender == "executor")).scalar_one()
        assert report.kind == "report" and report.executor_id == executor_id
        assert report.text == "Заменил прокладку, течи нет\nпосле ремонта"
        assert report.read_at is not None  # not an unread resident message
    assert world.api.wait_until(lambda: _report_photo_path(world, request_id), 15)

    browser = staff_browser(world)
    page = browser.page(f"/requests/{request_id}")
    assert "Заменил прокладку, течи нет" in page and by_executor in page
    photo_url = f"/requests/{request_id}/photos/{_report_photo_id(world, request_id)}"
    assert photo_url in page and browser.get(photo_url).data == b"\xff\xd8 fixed tap"

    resident.press("Нет")  # the resident says the leak is back: the job returns to the executor
    resident.expect("возвращена в работу")
    news = person.expect(f"Заявка № {number}: статус изменён на «в работе» (Житель (Telegram))")
    assert news.buttons == ["Выполнено"]


def test_an_album_in_the_report_gets_one_reply(world):
    resident = world.identified("100002")
    request_id, number = file(world, resident)
    executor_id, person = bound_executor(world)
    assign(world, request_id, executor_id)
    person.expect(f"Заявка № {number}", "назначена исполнителю")
    person.press("Выполнено")
    person.expect(f"Отчёт о выполнении заявки № {number}")
    for n in range(3):
        person.send_photo(b"\xff\xd8 riser %d" % n, caption="Заменил стояк" if n == 0 else None,
                          media_group_id="report-album")
    person.expect("Фото добавлено (1 из 10)")
    person.send("!!!")  # no letter or digit
    person.expect("Напишите комментарий словами")  # the very next reply: one for the whole album
    person.send("Готово")
    person.expect(f"Заявка № {number} отмечена выполненной, отчёт передан")
    with world.app.app_context():
        report = db.session.execute(select(RequestMessage).where(RequestMessage.request_id == request_id,
                                                                 RequestMessage.sender == "executor")).scalar_one()
        assert report.text == "Заменил стояк" and len(report.photos) == 3


def test_the_card_shows_only_the_deadlines_still_to_meet_and_the_list_the_addresses(world):
    with world.app.app_context():
        db.session.add(Category(name="Лифт", sort_order=12, reaction_minutes=30, completion_minutes=24 * 60))
        db.session.commit()
    resident = world.identified("100001")
    to_summary(resident, category="Лифт", subcategory=None, description="Лифт стоит между этажами")
    resident.press("Да, это мой номер")
    number = number_in(resident.expect("Заявка №").text)
    with world.app.app_context():
        request = db.session.execute(select(Request).where(Request.number == number)).scalar_one()
        request_id, completion = request.id, format_local(request.completion_due_at)
    executor_id, person = bound_executor(world)
    assign(world, request_id, executor_id)
    card = person.expect(f"Заявка № {number}", f"Срок выполнения: до {completion} — осталось")
    assert "Срок реакции" not in card.text  # met by the assignment itself: nothing left to do about it
    person.send("Мои задания")
    with world.app.app_context():
        due = format_local(db.session.get(Request, request_id).due_at, "%d.%m %H:%M")
    assert person.expect("Ваши открытые задания (1)").buttons == [f"№ {number} · ул. Ленина, д. 5А, кв. 12 · до {due}"]


def test_a_switched_off_or_revoked_executor_who_writes_is_told_so(world):
    revoked_id, revoked = bound_executor(world)
    switched_off_id, switched_off = bound_executor(world)
    with world.app.app_context():
        assert executor_links.unbind(db.session.get(Executor, revoked_id))
        db.session.get(Executor, switched_off_id).active = False
        db.session.commit()
    revoked.expect("Вы отключены от заданий")  # the revocation itself, through the outbox
    for person in (revoked, switched_off):
        person.send("Мои задания")
        told = person.expect("Вы отключены от заданий исполнителя", "обратитесь в диспетчерскую")
        assert "Это бот управляющей компании" not in told.text and told.keyboard == ["Идентификация"]
        person.send("/start")
        person.expect("Вы отключены от заданий исполнителя")
        person.send("/cancel")
        person.expect("Действие отменено", "Вы отключены от заданий исполнителя")
    newcomer = world.resident()
    newcomer.send("Мои задания")
    newcomer.expect("Здравствуйте! Это бот управляющей компании")  # never invited: the usual welcome


def test_a_forged_or_unreadable_button_leaves_the_card_as_it_is(world):
    resident = world.identified("100003")
    request_id, number = file(world, resident)
    executor_id, person = bound_executor(world)
    assign(world, request_id, executor_id)
    card = person.expect(f"Заявка № {number}", "назначена исполнителю")
    buttons = card.buttons
    for data in (button_data("take", 99_999_999_999), "not ours", "ab12cd34:cat:1", ""):
        assert person.press_data(data, card)["text"] == "Эта кнопка устарела."
        assert person.message(card.message_id).buttons == buttons
    person.press("Принял, в работе", message=card)  # the card still works
    person.expect(f"Заявка № {number} принята в работу")
    assert status_of(world, request_id) == "in_progress"


def _report_photo(world, request_id):
    from app.models import RequestPhoto
    with world.app.app_context():
        return db.session.execute(select(RequestPhoto.id, RequestPhoto.file_path)
                                  .join(RequestMessage, RequestMessage.id == RequestPhoto.message_id)
                                  .where(RequestPhoto.request_id == request_id,
                                         RequestMessage.sender == "executor")).one()


def _report_photo_path(world, request_id) -> str:
    return _report_photo(world, request_id).file_path


def _report_photo_id(world, request_id) -> int:
    return _report_photo(world, request_id).id


def test_a_reassigned_job_leaves_the_first_executor_and_a_revoked_one_acts_on_nothing(world):
    resident = world.identified("100002")
    request_id, number = file(world, resident)
    first_id, first = bound_executor(world)
    second_id, second = bound_executor(world)

    assign(world, request_id, first_id)
    card = first.expect(f"Заявка № {number}", "назначена исполнителю")
    first.send("Мои задания")
    jobs = first.expect("Ваши открытые задания (1)")
    assert jobs.buttons == [f"№ {number} · ул. Садовая, д. 17, кв. 3 · без срока"]  # where to go

    assign(world, request_id, second_id)
    first.expect(f"Заявка № {number} снята с вас: её передали другому исполнителю")
    second.expect(f"Заявка № {number}", "назначена исполнителю")
    first.press("Принял, в работе", message=card)
    first.expect("не ваше задание")
    first.press(jobs.buttons[0], message=jobs)
    first.expect("не ваше задание")
    first.send("Мои задания")
    first.expect("Открытых заданий нет")
    assert status_of(world, request_id) == "assigned"

    with world.app.app_context():
        assert executor_links.unbind(db.session.get(Executor, second_id))
        db.session.commit()
    second.expect("Вы отключены от заданий")
    second.press("Принял, в работе")
    second.expect("Вы не подключены как исполнитель")
    assert status_of(world, request_id) == "assigned"
    second.send("/start")  # an ordinary Telegram user again
    assert second.expect("Здравствуйте!").keyboard == ["Идентификация"]

    with world.app.app_context():  # back to «новая»: the job is taken away
        request = db.session.get(Request, request_id)
        request_service.assign_executor(request, db.session.get(Executor, first_id), dispatcher())
        db.session.commit()
    first.expect(f"Заявка № {number}", "назначена исполнителю")
    with world.app.app_context():
        request_service.change_status(db.session.get(Request, request_id), "new", dispatcher())
        db.session.commit()
    first.expect(f"Заявка № {number} снята с вас: она возвращена диспетчеру")


def test_forged_and_closed_job_buttons_are_refused_and_change_nothing(world):
    resident = world.identified("100003")
    mine_id, mine_number = file(world, resident)
    theirs_id, _ = file(world, resident)
    me_id, me = bound_executor(world)
    them_id, them = bound_executor(world)
    assign(world, mine_id, me_id)
    card = me.expect(f"Заявка № {mine_number}")
    assign(world, theirs_id, them_id)
    them.expect("назначена исполнителю")

    for action in ("take", "finish", "job"):  # another executor's job, named in forged button data
        me.press_data(button_data(action, theirs_id), card)
        me.expect("не ваше задание")
    assert status_of(world, theirs_id) == "assigned"
    own = resident.api.messages(resident.chat_id)[-1]
    resident.press_data(button_data("take", mine_id), own)  # a resident forging an executor's button
    resident.wait_for("Вы не подключены как исполнитель")
    assert status_of(world, mine_id) == "assigned"

    with world.app.app_context():  # the dispatcher closes it meanwhile
        request_service.change_status(db.session.get(Request, mine_id), "closed", dispatcher(), "Дубль")
        db.session.commit()
    me.expect(f"Заявка № {mine_number}: статус изменён на «закрыта»", "Комментарий: Дубль")
    me.press("Выполнено", message=card)
    me.expect("уже «закрыта»")
    assert status_of(world, mine_id) == "closed"
    answer = me.press_data(button_data("take", 99_999_999_999), card)  # not a number the database can hold
    assert answer.get("text") == "Эта кнопка устарела."

    with world.app.app_context():  # every executor message went through the outbox, once
        rows = db.session.execute(select(Notification.chat_id, Notification.status)
                                  .where(Notification.kind == "executor", Notification.chat_id == me.chat_id)).all()
    assert rows and all(status == "sent" for _, status in rows)


def test_an_executor_switched_off_in_the_reference_data_cannot_act(world):
    resident = world.identified("100004")
    request_id, number = file(world, resident)
    executor_id, person = bound_executor(world)
    assign(world, request_id, executor_id)
    card = person.expect(f"Заявка № {number}")
    with world.app.app_context():
        db.session.get(Executor, executor_id).active = False
        db.session.commit()
    person.press("Принял, в работе", message=card)
    person.expect("Вы не подключены как исполнитель")
    assert status_of(world, request_id) == "assigned"
    person.send("/start")
    assert person.expect("Здравствуйте!").keyboard == ["Идентификация"]
