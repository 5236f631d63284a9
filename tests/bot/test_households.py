"""Households and consent through the real worker: consent asked, refused and asked again after a new
version; two flats (adding, «Мои адреса», «Отвязать», «По какому адресу?»); the household's requests
in «Мои заявки», a phoned-in one linked by phone; «Удалить мои данные» and starting again."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (Category, Client, ConsentRecord, Notification, Request, RequestMessage, TelegramBinding,
                        utcnow)
from app.models.conversation import Kind
from app.services import company
from app.services.messaging import outbox
from app.services.people import consent
from app.services.requests.lifecycle import create_request
from tests.bot.conftest import PHONE, agree, dispatcher
from tests.bot.test_conversation import as_staff
from tests.bot.test_requests import number_in
from tests.telegram_ids import rows_naming

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]

OTHER_PHONE = "+79120001122"


def answers(world, user_id) -> list[tuple[str, int]]:
    with world.app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(ConsentRecord.action, ConsentRecord.version_id).where(ConsentRecord.telegram_user_id == user_id)
            .order_by(ConsentRecord.id)).all()]


def pairs(world, user_id) -> list[tuple[str, str]]:
    with world.app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(Client.account, TelegramBinding.phone).join(Client, Client.id == TelegramBinding.client_id)
            .where(TelegramBinding.telegram_user_id == user_id).order_by(Client.account)).all()]


def new_version(world, text: str) -> int:
    with world.app.app_context():
        version = consent.edit(text, "https://uk.example/pd", None)
        db.session.commit()
        return version.id


def file_request(world, r, address: str | None = None) -> int:
    """File «Благоустройство» (no subcategories) through the bot; returns the request's id."""
    r.send("Создать заявку")
    if address is not None:
        r.expect("По какому адресу?")
        r.press(address)
    r.expect("Выберите категорию")
    r.press("Благоустройство")
    r.expect("Опишите проблему")
    r.send("Сломана скамейка у подъезда")
    r.expect("Записал")
    r.send("Готово")
    r.expect("Описание принято")
    r.expect("Проверьте заявку")
    r.press("Да, это мой номер")
    number = number_in(r.expect("Заявка №").text)
    with world.app.app_context():
        return db.session.execute(select(Request.id).where(Request.number == number)).scalar_one()


def address_of(world, account: str) -> str:
    with world.app.app_context():
        return db.session.execute(select(Client).where(Client.account == account)).scalar_one().address


# --- consent ------------------------------------------------------------------------------

def test_consent_refused_stores_nothing_and_gives_the_phone_then_agreed(bot_world):
    with bot_world.app.app_context():
        company.put({"company_phone": "+78462000000"}, None)
        db.session.commit()
    r = bot_world.resident()
    r.send("Идентификация")
    notice = r.expect("Согласие на обработку персональных данных", "Редакция №", "Вы согласны")
    assert notice.buttons == ["Согласен", "Не согласен"]
    r.press("Не согласен", notice)
    r.expect("по телефону диспетчерской: +7 846 200-00-00")
    assert r.keyboard == ["Идентификация"]
    assert answers(bot_world, r.user_id) == [] and pairs(bot_world, r.user_id) == []
    with bot_world.app.app_context():
        assert rows_naming(r.user_id) == {}  # nothing about them is stored, not even a dialog state
    assert r.message(notice.message_id).buttons == ["Согласен", "Не согласен"]  # they may change their mind
    r.send("100001")  # no dialog waits for an account: nothing is looked up
    r.expect("пройти идентификацию")
    r.send("Идентификация")
    agree(r)
    assert r.message(notice.message_id).buttons == ["Согласен", "Не согласен"]  # the newer notice was answered
    r.send("100001")
    r.expect("Лицевой счёт найден")
    r.send(PHONE)
    r.expect("Готово! Вы привязаны")
    [(action, _)] = answers(bot_world, r.user_id)
    assert action == consent.AGREED and pairs(bot_world, r.user_id) == [("100001", PHONE)]


def test_a_new_version_is_asked_before_anything_else_and_old_answers_are_refused(bot_world):
    r = bot_world.identified(bot_world.new_account())
    old = r.api.messages(r.chat_id)[1]  # the notice r agreed to
    assert "Редакция №" in old.text
    version_id = new_version(bot_world, "Новая редакция: храним телефон и адрес три года.")
    r.send("Создать заявку")
    notice = r.expect("Текст согласия", "изменился", "Новая редакция", "https://uk.example/pd")
    assert notice.buttons == ["Согласен", "Не согласен"]
    [(_, old_version)] = answers(bot_world, r.user_id)
    forged = f"consent:yes:{old_version}"  # «Согласен» to the old version, as a modified client sends it
    assert r.press_data(forged, old)["text"] == "Эта редакция согласия устарела. Прочитайте действующую:"
    r.expect("устарела", "Новая редакция")
    r.send("Мои заявки")  # still nothing else happens
    r.expect("Новая редакция")
    assert [action for action, _ in answers(bot_world, r.user_id)] == [consent.AGREED]
    r.press("Согласен", notice)
    r.expect("Спасибо, согласие сохранено", "Главное меню")
    assert answers(bot_world, r.user_id)[-1] == (consent.AGREED, version_id)
    r.send("Мои заявки")
    r.expect("У вас пока нет заявок")


def test_a_resident_bound_before_consent_existed_is_asked_at_the_next_message(bot_world):
    """As the migration leaves them: a pair and a request, no answer about consent."""
    r = bot_world.resident()
    account = bot_world.new_account()
    with bot_world.app.app_context():
        client = db.session.execute(select(Client).where(Client.account == account)).scalar_one()
        db.session.add(TelegramBinding(client_id=client.id, telegram_user_id=r.user_id, chat_id=r.chat_id,
                                       phone=PHONE))
        create_request(client=client, category=db.session.execute(select(Category)).scalars().first(),
                       description="Старая заявка", author_telegram_id=r.user_id, author_chat_id=r.chat_id)
        db.session.commit()
    r.send("Мои заявки")
    r.expect("Согласие на обработку персональных данных")
    r.press("Согласен")
    r.expect("Спасибо, согласие сохранено")
    r.send("Мои заявки")
    r.expect("Ваши заявки (1–1 из 1)")
    assert pairs(bot_world, r.user_id) == [(account, PHONE)]


# --- several flats ------------------------------------------------------------------------

def test_two_flats_added_listed_chosen_when_filing_and_unbound(bot_world):
    first, second = bot_world.new_account(), bot_world.new_account("ул. Вторая")
    r = bot_world.identified(first)
    r.send("Добавить лицевой счёт")
    r.expect("Введите номер лицевого счёта")  # consent given once is not asked again
    r.send(first)
    r.expect(f"Лицевой счёт № {first} уже привязан к вам")
    r.send(second)
    r.expect("Лицевой счёт найден")
    r.send(OTHER_PHONE)
    r.expect(f"Вы привязаны к лицевому счёту № {second}")
    assert pairs(bot_world, r.user_id) == [(first, PHONE), (second, OTHER_PHONE)]
    r.send("Идентификация")
    r.expect(f"Вы уже идентифицированы по лицевому счёту № {first}, {second}")

    r.send("Мои адреса")
    listing = r.expect("Ваши адреса", address_of(bot_world, first), address_of(bot_world, second), "+7 912 000-11-22")
    assert listing.buttons == [f"Отвязать № {first}", f"Отвязать № {second}", "Добавить лицевой счёт"]

    r.send("Создать заявку")
    choice = r.expect("По какому адресу?")
    assert choice.buttons == [address_of(bot_world, first), address_of(bot_world, second), "Отменить"]
    r.send("/cancel")
    r.expect("Действие отменено")
    request_id = file_request(bot_world, r, address=address_of(bot_world, second))
    with bot_world.app.app_context():
        filed = db.session.get(Request, request_id)
        assert (filed.account, filed.contact_phone) == (second, OTHER_PHONE)  # that account's pair

    unbind_second = listing.button_data(f"Отвязать № {second}")
    r.press(f"Отвязать № {second}", listing)
    assert r.message(listing.message_id).buttons == [f"Отвязать № {first}", "Добавить лицевой счёт"]
    assert pairs(bot_world, r.user_id) == [(first, PHONE)]
    assert r.press_data(unbind_second, listing)["text"] == "Этот лицевой счёт уже не привязан к вам."
    assert pairs(bot_world, r.user_id) == [(first, PHONE)]  # an old list's button: nothing changes
    r.send("Создать заявку")
    r.expect("Выберите категорию")  # one flat: no question
    r.send("/cancel")
    r.expect("Действие отменено")

    r.press(f"Отвязать № {first}", listing)
    r.expect(f"Лицевой счёт № {first} отвязан", "Идентификация")
    assert r.keyboard == ["Идентификация"] and pairs(bot_world, r.user_id) == []


def test_the_pair_limit_per_account_still_releases_the_oldest(bot_world):
    account = bot_world.new_account()
    holders = [bot_world.identified(account, phone=f"+7912000{n:04d}") for n in range(3)]
    with bot_world.app.app_context():
        limit = bot_world.app.config["BINDINGS_PER_ACCOUNT"]
        client_id = db.session.execute(select(Client.id).where(Client.account == account)).scalar_one()
        for n in range(limit - 3 + 1):  # fill the account beyond the limit, as more residents would
            db.session.add(TelegramBinding(client_id=client_id, telegram_user_id=9_100_000 + n, chat_id=1,
                                           phone="+79990000000"))
            db.session.flush()
        from app.services.people.bindings import enforce_limit
        enforce_limit(client_id)
        db.session.commit()
    assert pairs(bot_world, holders[0].user_id) == []  # the oldest released
    assert pairs(bot_world, holders[1].user_id) == [(account, "+79120000001")]


# --- the household's requests -------------------------------------------------------------

def test_the_household_sees_every_request_of_the_flat_and_who_filed_it(bot_world):
    account = bot_world.new_account()
    author, relative = bot_world.identified(account), bot_world.identified(account, phone=OTHER_PHONE)
    request_id = file_request(bot_world, author)
    with bot_world.app.app_context():
        client = db.session.execute(select(Client).where(Client.account == account)).scalar_one()
        category = db.session.execute(select(Category)).scalars().first()
        phoned = create_request(client=client, category=category, description="Звонок: течёт стояк",
                                contact_phone=OTHER_PHONE, source="phone", actor=dispatcher())
        anonymous = create_request(client=client, category=category, description="Звонок соседа",
                                   contact_phone="+79000000000", source="phone", actor=dispatcher())
        db.session.commit()
        phoned_id, phoned_number, anonymous_id = phoned.id, phoned.number, anonymous.id

    relative.send("Мои заявки")
    listing = relative.expect("Ваши заявки (1–3 из 3)")
    assert len(listing.buttons) == 3
    with bot_world.app.app_context():
        number = db.session.get(Request, request_id).number
    relative.press(next(b for b in listing.buttons if f"№ {number} " in b))
    card = relative.expect(f"Заявка № {number}", "Подал(а): другой житель", "писать по ней")
    assert card.buttons == ["« К списку"]
    relative.press(next(b for b in listing.buttons if f"№ {phoned_number} " in b))
    card = relative.expect(f"Заявка № {phoned_number}", "Подал(а): по телефону")
    assert "Написать по заявке" in card.buttons  # linked: the contact phone is the relative's pair

    author.send("Мои заявки")
    listing = author.expect("Ваши заявки (1–3 из 3)")
    author.press(next(b for b in listing.buttons if f"№ {number} " in b))
    assert "Написать по заявке" in author.expect("Подал(а): вы").buttons
    # writing about a household request the resident did not file is refused, nothing changes
    for data in (f"rq:write:{phoned_id}", f"rq:yes:{phoned_id}", f"rq:rate:{phoned_id}:5"):
        assert author.press_data(data, listing)["text"] == "Заявка недоступна."
        author.expect(f"Заявку № {phoned_number} подал другой житель вашего адреса")

    as_staff(bot_world, phoned_id, "assign")  # the linked resident is told, the author of the other is not
    relative.wait_for(f"Статус вашей заявки № {phoned_number} изменён")
    with bot_world.app.app_context():
        assert db.session.get(Request, anonymous_id).author_telegram_id is None
        rows = db.session.execute(select(Notification.chat_id).where(Notification.request_id == phoned_id)).scalars()
        assert set(rows) == {relative.chat_id}


def test_a_phoned_in_request_is_linked_when_its_phone_is_bound_later(bot_world):
    account = bot_world.new_account()
    with bot_world.app.app_context():
        client = db.session.execute(select(Client).where(Client.account == account)).scalar_one()
        request = create_request(client=client, category=db.session.execute(select(Category)).scalars().first(),
                                 description="Звонок", contact_phone=OTHER_PHONE, source="phone", actor=dispatcher())
        db.session.commit()
        request_id, number = request.id, request.number
    r = bot_world.identified(account, phone=OTHER_PHONE)
    with bot_world.app.app_context():
        assert db.session.get(Request, request_id).author_telegram_id == r.user_id
    r.send("Мои заявки")
    r.press(next(b for b in r.expect("Ваши заявки").buttons if f"№ {number} " in b))
    assert "Написать по заявке" in r.expect("Подал(а): по телефону").buttons


# --- «Удалить мои данные» ----------------------------------------------------------------

def test_delete_my_data_forgets_the_resident_and_they_can_start_again(bot_world):
    account = bot_world.new_account()
    r = bot_world.identified(account)
    request_id = file_request(bot_world, r)
    r.send("Мои заявки")
    old_list = r.expect("Ваши заявки")
    with bot_world.app.app_context():  # a message waiting in the outbox (due later) must not go out
        [waiting] = outbox.queue(r.chat_id, "Статус вашей заявки изменён", request_id=request_id)
        waiting.next_attempt_at = utcnow() + timedelta(days=1)
        db.session.commit()
        waiting_id = waiting.id
        assert rows_naming(r.user_id)

    r.send("Настройки")
    settings = r.expect("Объявления управляющей компании")
    r.press("Удалить мои данные", settings)
    ask = r.expect("Удалить ваши данные из бота?", account)
    r.press("Нет, оставить", ask)
    r.expect("Хорошо, ваши данные остаются")
    assert pairs(bot_world, r.user_id) == [(account, PHONE)]
    r.press("Удалить мои данные", settings)
    ask = r.expect("Удалить ваши данные из бота?")
    yes = ask.button_data("Да, удалить")
    r.press("Да, удалить", ask)
    r.expect("Ваши данные удалены из бота", "/start")
    assert r.keyboard == ["Идентификация"]

    with bot_world.app.app_context():
        assert rows_naming(r.user_id) == {}  # no table links the Telegram id to a person or a request
        waiting = db.session.get(Notification, waiting_id)
        assert (waiting.status, waiting.chat_id) == (outbox.CANCELLED, 0)
        kept = db.session.get(Request, request_id)
        assert kept.description == "Сломана скамейка у подъезда" and kept.author_telegram_id is None
        kinds = db.session.execute(select(RequestMessage.kind).where(RequestMessage.request_id == request_id))
        assert Kind.FORGOTTEN.value in set(kinds.scalars())
    assert [action for action, _ in answers(bot_world, r.user_id)] == [consent.AGREED, consent.WITHDRAWN]

    # old buttons after deletion: clear replies, nothing changes
    assert r.press_data(yes, ask)["text"] == "Эта кнопка устарела."
    r.expect("Эта кнопка от старого сообщения")
    assert r.press(old_list.buttons[0], old_list)["text"] == "Заявка недоступна."
    r.expect("Такой заявки нет среди ваших")
    with bot_world.app.app_context():
        assert rows_naming(r.user_id) == {}

    r.send("/start")  # a new person: consent first, then identification
    r.expect("Здравствуйте")
    r.send("Идентификация")
    agree(r)
    r.send(account)
    r.expect("Лицевой счёт найден")
    r.send(PHONE)
    r.expect("Готово! Вы привязаны")
    r.send("Мои заявки")  # the flat's request is the household's again; the resident is no longer its author
    r.press(r.expect("Ваши заявки").buttons[0])
    assert r.expect("Подал(а): другой житель").buttons == ["« К списку"]


def test_a_forged_delete_for_another_user_deletes_nothing(bot_world):
    victim, intruder = bot_world.identified(bot_world.new_account()), bot_world.identified(bot_world.new_account())
    victim.send("Настройки")
    victim.press("Удалить мои данные", victim.expect("Объявления"))
    ask = victim.expect("Удалить ваши данные из бота?")
    data = ask.button_data("Да, удалить")
    own = intruder.api.messages(intruder.chat_id)[-1]  # a client can press only under its own chat's messages
    assert intruder.press_data(data, own)["text"] == "Эта кнопка устарела."
    intruder.expect("Эта кнопка от старого сообщения")
    intruder.press_data("settings:forget", own)  # the real button asks the presser, about their own data
    intruder.expect("Удалить ваши данные из бота?", pairs(bot_world, intruder.user_id)[0][0])
    assert pairs(bot_world, victim.user_id) and pairs(bot_world, intruder.user_id)
    victim.press("Нет, оставить", ask)
    victim.expect("ваши данные остаются")


def test_a_refusal_of_a_new_version_offers_deletion(bot_world):
    account = bot_world.new_account()
    r = bot_world.identified(account)
    new_version(bot_world, "Редакция для отказа.")
    r.send("Помощь")
    notice = r.expect("Редакция для отказа.")
    r.press("Не согласен", notice)
    refusal = r.expect("подать заявку через бот нельзя")
    assert refusal.buttons == ["Удалить мои данные"]
    assert answers(bot_world, r.user_id)[-1][0] == consent.REFUSED
    r.send("Создать заявку")
    r.expect("Редакция для отказа.")  # still nothing else
    r.press("Удалить мои данные", refusal)
    r.press("Да, удалить", r.expect("Удалить ваши данные из бота?"))
    r.expect("Ваши данные удалены из бота")
    with bot_world.app.app_context():
        assert rows_naming(r.user_id) == {}
