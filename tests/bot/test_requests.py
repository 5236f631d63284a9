"""Filing requests through the real worker: phone confirmed / replaced / added, photos, bad input.
(«Мои заявки» and the conversation: tests/bot/test_conversation.py.)"""
import copy
import re
import time

import pytest
from sqlalchemy import delete, select

from app.extensions import db
from app.models import Category, Request, RequestPhoto, Subcategory, TelegramBinding
from app.services.requests.lifecycle import change_status
from app.services import storage
from app.timezone import format_local
from tests.bot.conftest import dispatcher

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]

MENU = ["Создать заявку", "Передать показания", "Мои заявки", "Мои адреса", "Добавить лицевой счёт", "Настройки",
        "Помощь"]


def start_request(r, category="Сантехника", subcategory="Протечка"):
    """From the main menu to the description step."""
    r.send("Создать заявку")
    r.expect("Выберите категорию")
    r.press(category)
    if subcategory:
        r.press(subcategory)
    r.expect("Опишите проблему")
    assert r.keyboard == ["Готово", "Отмена"]


def to_summary(r, description="Течёт кран на кухне", **kwargs):
    start_request(r, **kwargs)
    r.send(description)
    r.expect("Записал")
    r.send("Готово")
    r.expect("Описание принято")
    assert r.keyboard == ["Отмена"]
    return r.expect("Проверьте заявку", "Ваш номер телефона")


def number_in(text: str) -> int:
    return int(re.search(r"Заявка № (\d+) принята", text).group(1))


def requests_of(world, user_id) -> list[Request]:
    with world.app.app_context():
        rows = db.session.execute(
            select(Request).where(Request.author_telegram_id == user_id).order_by(Request.id)
        ).scalars().all()
        for row in rows:
            row.photos, row.category, row.subcategory  # load before leaving the context
        db.session.expunge_all()
        return rows


def phones_of(world, user_id) -> list[str]:
    with world.app.app_context():
        return db.session.execute(
            select(TelegramBinding.phone).where(TelegramBinding.telegram_user_id == user_id)
            .order_by(TelegramBinding.id)
        ).scalars().all()


def test_request_with_confirmed_phone(bot_world):
    r = bot_world.identified("100001", "+79123456789")
    summary = to_summary(r, description="Течёт кран на кухне 💧")
    assert "Категория: Сантехника / Протечка" in summary.text
    assert "Адрес: г. Самара, ул. Ленина, д. 5А, кв. 12" in summary.text
    assert "Ваш номер телефона +7 912 345-67-89?" in summary.text
    r.press("Да, это мой номер")
    created = r.expect("Заявка №", "принята", "Телефон: +7 912 345-67-89")
    assert r.keyboard == MENU
    assert summary.buttons == []  # the answered question loses its buttons

    [request] = requests_of(bot_world, r.user_id)
    assert request.number == number_in(created.text)
    assert (request.account, request.client_full_name) == ("100001", "Иванов Иван Иванович")
    assert (request.city, request.street, request.house, request.house_letter, request.apartment) == \
        ("Самара", "ул. Ленина", "5", "А", "12")
    assert (request.category.name, request.subcategory.name) == ("Сантехника", "Протечка")
    assert request.description == "Течёт кран на кухне 💧"
    assert request.contact_phone == "+79123456789"
    assert (request.author_telegram_id, request.author_chat_id) == (r.user_id, r.chat_id)
    assert request.status == "new" and request.source == "telegram"
    assert request.idempotency_key.startswith(f"tg:{r.user_id}:")


def test_request_with_replaced_phone(bot_world):
    r = bot_world.identified("100002", "+79120000001")
    to_summary(r)
    r.press("Нет, другой номер")
    r.expect("Укажите номер телефона")
    r.send("не помню")
    r.expect("не похоже на номер телефона")
    r.send("+7 912 000-00-02")
    r.expect("Новый номер: +7 912 000-00-02")
    assert r.keyboard == ["Отмена"]
    question = r.expect("Удалить старый номер +7 912 000-00-01?")
    r.press("Да, удалить старый")
    r.expect("Заявка №", "Телефон: +7 912 000-00-02")
    assert question.buttons == []
    assert phones_of(bot_world, r.user_id) == ["+79120000002"]
    [request] = requests_of(bot_world, r.user_id)
    assert request.contact_phone == "+79120000002"

    summary = to_summary(r)  # the next request offers the new number
    assert summary.buttons == ["Да, это мой номер", "Нет, другой номер"]  # one cancel: the keyboard's «Отмена»
    assert r.keyboard == ["Отмена"]
    r.send("Отмена")
    r.expect("Действие отменено")


def test_request_with_added_phone(bot_world):
    r = bot_world.identified("100002", "+79120000011")
    to_summary(r)
    r.press("Нет, другой номер")
    r.expect("Укажите номер телефона")
    r.share_contact("79120000012")
    r.expect("Новый номер: +7 912 000-00-12")
    r.expect("Удалить старый номер +7 912 000-00-11?")
    r.press("Нет, оставить оба")
    r.expect("Заявка №", "Телефон: +7 912 000-00-12")
    assert phones_of(bot_world, r.user_id) == ["+79120000011", "+79120000012"]
    [request] = requests_of(bot_world, r.user_id)
    assert request.contact_phone == "+79120000012"

    summary = to_summary(r)
    assert "Ваш номер телефона +7 912 000-00-12?" in summary.text
    r.send("да")  # typed instead of pressed
    r.expect("Заявка №", "Телефон: +7 912 000-00-12")
    assert len(requests_of(bot_world, r.user_id)) == 2


def test_same_number_again_files_without_asking(bot_world):
    r = bot_world.identified("100004", "+79120000021")
    to_summary(r)
    r.press("Нет, другой номер")
    r.expect("Укажите номер телефона")
    r.send("89120000021")
    r.expect("Заявка №", "Телефон: +7 912 000-00-21")
    assert phones_of(bot_world, r.user_id) == ["+79120000021"]


def wait_for_files(world, user_id, count, timeout=15.0) -> list[RequestPhoto]:
    deadline = time.monotonic() + timeout
    while True:
        [request] = requests_of(world, user_id)
        done = [p for p in request.photos if p.file_path]
        if len(done) == count or time.monotonic() > deadline:
            return request.photos
        time.sleep(0.05)


def test_the_resident_is_told_when_the_request_is_due(bot_world):
    with bot_world.app.app_context():
        db.session.add(Category(name="Лифт не едет", sort_order=11, completion_minutes=24 * 60))
        db.session.commit()
    r = bot_world.identified("100003")
    to_summary(r, category="Лифт не едет", subcategory=None, description="Лифт стоит на 5 этаже")
    r.press("Да, это мой номер")
    created = r.expect("Заявка №", "принята")
    due_request = requests_of(bot_world, r.user_id)[-1]
    with bot_world.app.app_context():
        due = format_local(due_request.completion_due_at, "%d.%m, %H:%M")  # local time, as residents read it
    assert f"Телефон: +7 912 345-67-89\nСрок выполнения: до {due}\n" in created.text

    to_summary(r)  # «Сантехника / Протечка»: no norm, no deadline
    r.press("Да, это мой номер")
    assert "Срок" not in r.expect("Заявка №", "принята").text

    def card(number):
        r.send("Мои заявки")
        listing = r.expect("Ваши заявки")
        r.press(next(b for b in listing.buttons if b.startswith(f"№ {number} ")), message=listing)
        return r.expect(f"Заявка № {number} от").text
    assert f"Срок выполнения: до {due}" in card(due_request.number).splitlines()
    assert "Срок" not in card(requests_of(bot_world, r.user_id)[-1].number)
    with bot_world.app.app_context():  # closed: nothing is due any more
        change_status(db.session.get(Request, due_request.id), "closed", dispatcher())
        db.session.commit()
    r.wait_for("изменён: закрыта")
    assert "Срок" not in card(due_request.number)


def test_photos_are_stored_with_the_request(bot_world):
    r = bot_world.identified("100001", "+79123450001")
    start_request(r, "Электрика", "Искрит розетка")
    first = r.send_photo(b"\xff\xd8 first photo", media_group_id="album-1")
    second = r.send_photo(b"\xff\xd8 second photo", media_group_id="album-1")
    r.expect("Фото добавлено (1 из 10)")  # one reply for the album
    r.send_photo(b"\xff\xd8 third photo", caption="Розетка в коридоре искрит и дымит")
    r.expect("Фото добавлено (3 из 10)")
    r.send("Готово")
    r.expect("Описание принято")
    summary = r.expect("Проверьте заявку", "Фото: 3", "Розетка в коридоре")
    r.press("Да, это мой номер")
    r.expect("Заявка №")

    photos = wait_for_files(bot_world, r.user_id, 3)
    [request] = requests_of(bot_world, r.user_id)
    assert request.description == "Розетка в коридоре искрит и дымит"
    assert [p.telegram_file_id for p in photos][:2] == [first["file_id"], second["file_id"]]
    assert all(p.file_path.startswith("db:") for p in photos)  # in the database: any web process shows them
    stored = [bot_world.stored(p.file_path) for p in photos]
    assert stored == [b"\xff\xd8 first photo", b"\xff\xd8 second photo", b"\xff\xd8 third photo"]
    assert summary.buttons == []


def test_photo_only_request_and_photo_limit(bot_world):
    r = bot_world.identified("100001", "+79123450002")
    start_request(r, "Благоустройство", None)  # a category without subcategories
    for n in range(10):
        r.send_photo(b"photo %d" % n)
        r.expect(f"Фото добавлено ({n + 1} из 10)")
    r.send_photo(b"one too many")
    r.expect("не больше 10 фото")
    r.send("Готово")
    r.expect("Описание принято")
    r.expect("Категория: Благоустройство\n", "(без текста, см. фото)", "Фото: 10")
    r.press("Да, это мой номер")
    r.expect("Заявка №")
    assert len(wait_for_files(bot_world, r.user_id, 10)) == 10


def test_an_album_gets_one_reply_and_past_the_limit_one_refusal(bot_world):
    r = bot_world.identified("100001", "+79123450005")
    start_request(r, "Благоустройство", None)
    for n in range(10):  # a full album: a message per picture, the caption on the first
        r.send_photo(b"album %d" % n, caption="Провалился асфальт у подъезда" if n == 0 else None,
                     media_group_id="full-album")
    r.expect("Фото добавлено (1 из 10)")
    for n in range(2):  # an album past the limit
        r.send_photo(b"extra %d" % n, media_group_id="extra-album")
    r.expect("не больше 10 фото", "лишние фото не сохранены")
    r.send("Готово")
    r.expect("Описание принято")  # the very next reply: nothing more was said about either album
    r.expect("Фото: 10", "Описание: Провалился асфальт у подъезда")
    r.press("Да, это мой номер")
    r.expect("Заявка №")
    photos = wait_for_files(bot_world, r.user_id, 10)
    assert [bot_world.stored(p.file_path) for p in photos] == [b"album %d" % n for n in range(10)]


def test_images_sent_as_files(bot_world):
    r = bot_world.identified("100001", "+79123450004")
    start_request(r)
    r.send_document(b"%PDF-1.4 act", "акт.pdf", "application/pdf")
    r.expect("Такое сообщение не подойдёт")
    r.send_document(b"huge", "IMG_0001.JPG", "image/jpeg", file_size=25 * 1024 * 1024)
    r.expect("Файл больше 20 МБ")
    r.send_document(b"\x89PNG leak", "leak.png", "image/png", caption="Мокрое пятно на потолке")
    r.expect("Фото добавлено (1 из 10)")
    r.send("Готово")
    r.expect("Описание принято")
    r.expect("Фото: 1", "Мокрое пятно на потолке")
    r.press("Да, это мой номер")
    r.expect("Заявка №")
    [photo] = wait_for_files(bot_world, r.user_id, 1)
    assert bot_world.stored(photo.file_path) == b"\x89PNG leak"
    with bot_world.app.app_context():
        assert storage.info(photo.file_path).content_type == "image/png"  # by the name Telegram gave


# --- bad input: a clear answer, and the dialog goes on ---

def test_text_or_sticker_where_a_button_is_expected(bot_world):
    r = bot_world.identified()
    r.send("Создать заявку")
    r.expect("Выберите категорию")
    r.send("Сантехника")
    r.expect("выберите вариант кнопкой")
    again = r.expect("Выберите категорию")  # the buttons, once more
    assert "Сантехника" in again.buttons
    r.send_sticker()
    r.expect("выберите вариант кнопкой")
    r.expect("Выберите категорию")
    r.press("Сантехника", message=again)
    r.press("Засор")
    r.expect("Опишите проблему")
    r.send("Засор в раковине")
    r.expect("Записал")
    r.send("Готово")
    r.expect("Описание принято")
    r.expect("Ваш номер телефона")
    r.send("может быть")
    r.expect("выберите вариант кнопкой")
    r.expect("Ваш номер телефона")
    r.send_voice()
    r.expect("выберите вариант кнопкой")
    r.expect("Ваш номер телефона")
    r.press("Да, это мой номер")
    r.expect("Заявка №")


def test_stale_buttons_do_nothing_but_say_so(bot_world):
    r = bot_world.identified()
    r.send("Создать заявку")
    first = r.expect("Выберите категорию")
    r.send("Создать заявку")  # a new run: the first keyboard is stale now
    r.expect("Выберите категорию")
    answer = r.press("Электрика", message=first)
    assert answer["text"] == "Эта кнопка устарела."
    r.expect("уже не действует", "текущего шага")
    r.expect("Выберите категорию")
    assert r.message(first.message_id).buttons == []  # removed from the old message
    r.press("Отменить")
    r.expect("Действие отменено")
    answer = r.press("Сантехника")  # the cancelled run's keyboard
    assert answer["text"] == "Эта кнопка устарела."
    r.expect("уже не действует", "меню")
    assert requests_of(bot_world, r.user_id) == []


def test_stale_confirmation_never_files_twice(bot_world):
    r = bot_world.identified()
    summary = copy.deepcopy(to_summary(r))  # as a second device still shows it
    r.press("Да, это мой номер")
    r.expect("Заявка №")
    answer = r.press("Да, это мой номер", message=summary)
    assert answer["text"] == "Эта кнопка устарела."
    r.expect("уже не действует")
    assert len(requests_of(bot_world, r.user_id)) == 1


def test_long_description_is_cut_with_a_warning(bot_world):
    r = bot_world.identified()
    start_request(r)
    r.send("Очень длинное описание. " + "а" * 5000)
    r.expect("слишком длинное", "первые 4000 символов")
    r.send("ещё текст")
    r.expect("заполнено до предела")
    r.send("Готово")
    r.expect("Описание принято")
    summary = r.expect("Проверьте заявку")
    assert len(summary.text) < 4096
    r.press("Да, это мой номер")
    r.expect("Заявка №")
    [request] = requests_of(bot_world, r.user_id)
    assert len(request.description) == 4000
    assert request.description.startswith("Очень длинное описание. ааа")


def test_description_bad_input(bot_world):
    r = bot_world.identified()
    start_request(r)
    r.send("Готово")
    r.expect("Сначала опишите проблему")
    r.send("👍👍👍")
    r.expect("Опишите, пожалуйста, проблему словами")
    r.send_sticker()
    r.expect("Такое сообщение не подойдёт")
    r.send_voice()
    r.expect("Такое сообщение не подойдёт")
    r.send("/help")
    r.expect("Что умеет бот")
    r.expect("Опишите проблему")
    r.send("Нет воды ❄️ уже\x00 два дня\x07")  # control characters (NUL breaks PostgreSQL) are dropped
    r.expect("Записал")
    r.send("Готово")
    r.expect("Описание принято")
    r.expect("Описание: Нет воды ❄️ уже два дня")
    r.send("/cancel")
    r.expect("Действие отменено")
    assert r.keyboard == MENU
    assert requests_of(bot_world, r.user_id) == []


def test_category_switched_off_mid_dialog(bot_world):
    with bot_world.app.app_context():
        lift = Category(name="Лифт", sort_order=9)
        db.session.add(lift)
        db.session.flush()
        db.session.add(Subcategory(category_id=lift.id, name="Застрял"))
        db.session.commit()
        lift_id = lift.id
    r = bot_world.identified()
    r.send("Создать заявку")
    keyboard = r.expect("Выберите категорию")
    with bot_world.app.app_context():
        db.session.get(Category, lift_id).active = False
        db.session.commit()
    r.press("Лифт", message=keyboard)
    now = r.message(keyboard.message_id)
    assert now.text == "Эта категория больше недоступна. Выберите другую:"
    assert "Лифт" not in now.buttons and "Сантехника" in now.buttons
    r.press("Сантехника", message=now)
    r.press("Протечка")
    r.expect("Опишите проблему")


def test_category_deleted_before_confirmation_keeps_the_description(bot_world):
    with bot_world.app.app_context():
        temp = Category(name="Временная", sort_order=10)
        db.session.add(temp)
        db.session.commit()
        temp_id = temp.id
    r = bot_world.identified()
    to_summary(r, category="Временная", subcategory=None, description="Сломана скамейка у подъезда")
    with bot_world.app.app_context():
        db.session.execute(delete(Category).where(Category.id == temp_id))
        db.session.commit()
    r.press("Да, это мой номер")
    r.expect("Категория «Временная» больше недоступна. Выберите другую:")
    r.press("Благоустройство")
    r.expect("Опишите проблему")
    r.send("Готово")
    r.expect("Описание принято")
    r.expect("Описание: Сломана скамейка у подъезда")
    r.press("Да, это мой номер")
    r.expect("Заявка №", "Категория: Благоустройство")
    [request] = requests_of(bot_world, r.user_id)
    assert request.description == "Сломана скамейка у подъезда"


def test_menu_works_mid_dialog(bot_world):
    r = bot_world.identified(bot_world.new_account())
    start_request(r)
    r.send("Мои заявки")
    r.expect("У вас пока нет заявок")
    r.send("Помощь")
    r.expect("Что умеет бот")
    r.expect("Опишите проблему")  # still on the same step
    r.send("Протекает потолок")
    r.expect("Записал")
    r.send("/start")
    r.expect("Главное меню")
    assert r.keyboard == MENU
