"""«Передать показания» through the real worker: a full submission with a photo, each check on entry,
a correction within the window, the window closed (also under an old button), several accounts, forged
and replaced meters."""
import itertools
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Client, TelegramBinding
from app.models.meters import SCALE, Meter, MeterReading
from app.services import company, storage
from app.services.meters import meters as meter_service
from app.services.meters import readings
from app.telegram import codec
from tests.bot.conftest import PHONE, make_world, running
from tests.images import png

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]

_accounts = itertools.count(300_001)
STAFF_CHAT = -1001234500021
INSTALLED = date(2026, 1, 10)


@pytest.fixture(scope="module")
def meters_world(tmp_path_factory, sqlite_template):
    world = make_world(tmp_path_factory, sqlite_template, STAFF_CHAT_ID=STAFF_CHAT)
    with world.app.app_context():
        company.put({"meter_reminders": False}, None)  # the reminders have their own module
        db.session.commit()
    world.worker.start()
    yield world
    world.close()


@pytest.fixture
def world(meters_world):
    set_window(meters_world, 1, 31)  # open whatever the date (a test may close it)
    yield from running(meters_world)


def set_window(world, first: int, last: int) -> None:
    with world.app.app_context():
        company.put({"meter_window_first": first, "meter_window_last": last}, None)
        db.session.commit()


def close_window(world) -> tuple[int, int]:
    """A window that does not include today (in the company's zone)."""
    today = datetime.now(ZoneInfo("Europe/Moscow")).day
    first, last = (today + 1, min(today + 3, 28)) if today < 27 else (1, 3)
    set_window(world, first, last)
    return first, last


def account(world, *meters, street="ул. Счётная", history=()) -> tuple[str, list[int]]:
    """A new account with these meters: (resource, serial, place, int digits, frac digits, initial values)."""
    number = str(next(_accounts))
    with world.app.app_context():
        client = Client(account=number, full_name="Жилец Счётчиков", city="Самара", street=street, house="3",
                        apartment=number[-3:])
        db.session.add(client)
        db.session.flush()
        ids = []
        for resource, serial, place, int_digits, frac_digits, initial in meters:
            meter = meter_service.add(client.id, meter_service.MeterData(
                resource, serial, place, int_digits, frac_digits, None, INSTALLED,
                tuple(int(v * SCALE) for v in initial)))
            ids.append(meter.id)
        for index, period, values in history:
            meter = db.session.get(Meter, ids[index])
            readings.store(meter, period, tuple(int(v * SCALE) for v in values), source="import")
        db.session.commit()
    return number, ids


def cold(serial="C-1", initial=(100,)):
    return ("cold", serial, "кухня", 5, 3, initial)


def live(world, meter_id):
    with world.app.app_context():
        return db.session.execute(select(MeterReading).where(MeterReading.meter_id == meter_id, MeterReading.live)
                                  ).scalar_one_or_none()


def history(world, meter_id):
    with world.app.app_context():
        return [(r.status, r.live, r.v1) for r in db.session.execute(
            select(MeterReading).where(MeterReading.meter_id == meter_id).order_by(MeterReading.id)).scalars()]


def open_meter(r, title="ХВС № C-1 (кухня)"):
    r.send("Передать показания")
    listing = r.expect("Счётчики по адресу")
    r.press(title, message=listing)
    return listing


def test_a_full_submission_with_each_bad_value_explained_and_a_photo(world):
    number, [meter_id] = account(world, cold())
    r = world.identified(account=number)
    r.send("Передать показания")
    listing = r.expect("Счётчики по адресу", "• ХВС № C-1 (кухня): 100,000 м³ от 10.01.2026", "Приём открыт до")
    assert listing.buttons == ["ХВС № C-1 (кухня)", "Отменить"]
    r.press("ХВС № C-1 (кухня)")
    r.expect("Предыдущее показание: 100,000 м³ от 10.01.2026", "до 5 цифр до запятой и до 3 после")
    assert r.keyboard == ["Отмена"]
    for typed, answer in [("abc", "Это не число"), ("1" * 50, "Слишком много цифр"), ("-5", "отрицательным"),
                          ("123456", "у этого счётчика 5 цифр до запятой"), ("12,3456", "не больше 3 цифр")]:
        r.send(typed)
        r.expect(answer)
    r.send_sticker()
    r.expect("Пришлите показание текстом")
    r.send("105,5")
    r.expect("Можно приложить фото счётчика")
    assert r.keyboard == ["Без фото", "Отмена"]
    r.send_sticker()
    r.expect("Пришлите фотографию счётчика")
    r.send_document(b"%PDF-1.4 not an image", "meter.pdf", "application/pdf")
    r.expect("Пришлите фотографию счётчика")
    r.send_photo(png())
    summary = r.expect("Проверьте и отправьте", "Показание: 105,500 м³", "Расход за месяц: 5,500 м³", "Фото: есть")
    assert summary.buttons == ["Отправить", "Отменить"]
    r.press("Отправить")
    r.expect("Показание принято: ХВС № C-1 (кухня) — 105,500 м³.")
    again = r.expect("Счётчики по адресу", "✓ передано в этом месяце")
    assert again.buttons == ["ХВС № C-1 (кухня) ✓", "Отменить"]
    reading = live(world, meter_id)
    assert (reading.v1, reading.prev1, reading.source, reading.status) == (105_500, 100_000, "bot", "accepted")
    assert reading.telegram_user_id == r.user_id and reading.photo_file_id
    assert world.api.wait_until(lambda: live(world, meter_id).photo_path, timeout=10)
    with world.app.app_context():  # in the file store (the database by default), not on the worker's disk
        assert storage.read(live(world, meter_id).photo_path) == png()


def test_each_rate_of_a_two_rate_meter_in_turn_and_no_decimals_where_the_meter_has_none(world):
    number, [meter_id] = account(world, ("power2", "E-2", "", 6, 0, (1000, 500)))
    r = world.identified(account=number)
    open_meter(r, "Электроэнергия (двухтарифный) № E-2")
    r.expect("Предыдущее показание (тариф «день»): 1000 кВт·ч", "без дробной части")
    r.send("1010,5")
    r.expect("нет цифр после запятой")
    r.send("1010")
    r.expect("Предыдущее показание (тариф «ночь»): 500 кВт·ч")
    r.send("504")
    r.expect("Можно приложить фото")
    r.send("Без фото")
    r.expect("Показание: день 1010, ночь 504 кВт·ч", "Расход за месяц: 10, 4 кВт·ч", "Фото: нет")
    r.press("Отправить")
    r.expect("Показание принято")
    reading = live(world, meter_id)
    assert (reading.v1, reading.v2, reading.prev2) == (1_010_000, 504_000, 500_000)


def test_below_the_previous_asks_whether_the_meter_was_replaced(world):
    number, [meter_id] = account(world, cold(serial="C-3"))
    r = world.identified(account=number)
    open_meter(r, "ХВС № C-3 (кухня)")
    r.expect("Введите текущее показание")
    r.send("99")
    question = r.expect("Показание 99,000 меньше предыдущего (100,000). Счётчик заменили?")
    assert question.buttons == ["Да, счётчик заменили", "Нет, введу заново"]
    r.press("Нет, введу заново")
    r.expect("Введите показание ещё раз")
    r.expect("Введите текущее показание")
    r.send("98")
    r.expect("меньше предыдущего")
    r.press("Да, счётчик заменили")
    r.expect("Передали диспетчеру: счётчик ХВС № C-3 (кухня) заменён", "не сохранено")
    assert r.keyboard[0] == "Создать заявку"
    reading = live(world, meter_id)
    assert (reading.status, reading.v1) == ("swap", 98_000)  # for the dispatcher, not a reading
    assert world.api.wait_until(lambda: any(
        f"Житель ЛС {number}" in m.text and "ввёл по счётчику ХВС № C-3 (кухня) 98,000 — меньше предыдущего (100,000)"
        in m.text for m in world.api.messages(STAFF_CHAT)), timeout=10)


def test_an_unusual_consumption_is_asked_about_and_marked_for_checking(world):
    number, [meter_id] = account(world, cold(serial="C-4"))  # no history: the company's cap of 30 m³ decides
    r = world.identified(account=number)
    open_meter(r, "ХВС № C-4 (кухня)")
    r.expect("Введите текущее показание")
    previous = 100
    r.send(f"{previous + 50:.0f}")
    ask = r.expect("Проверьте: расход 50,000 м³ за месяц — всё верно?")
    assert ask.buttons == ["Да, всё верно", "Исправить"]
    r.press("Исправить")
    r.expect("Введите показание ещё раз")
    r.expect("Введите текущее показание")
    r.send(f"{previous + 45:.0f}")
    r.expect("Проверьте: расход 45,000")
    r.press("Да, всё верно")
    r.expect("Можно приложить фото")
    r.send("Без фото")
    r.expect("Проверьте и отправьте")
    r.press("Отправить")
    r.expect("Показание принято", "Расход необычный — его проверит диспетчер")
    assert live(world, meter_id).status == "suspicious"


def test_a_correction_within_the_window_keeps_both_in_the_history(world):
    number, [meter_id] = account(world, cold(serial="C-5"))
    r = world.identified(account=number)
    for value, said in (("101", None), ("102,25", "За этот месяц вы уже передали 101,000")):
        open_meter(r, "ХВС № C-5 (кухня)" + (" ✓" if said else ""))
        if said:
            r.expect(said, "Новое показание заменит его")
        r.expect("Введите текущее показание")
        r.send(value)
        r.expect("Можно приложить фото")
        r.send("Без фото")
        r.expect("Проверьте и отправьте")
        r.press("Отправить")
        r.expect("Показание принято")
        r.expect("Счётчики по адресу")
    assert history(world, meter_id) == [("corrected", False, 101_000), ("accepted", True, 102_250)]


def test_outside_the_window_the_bot_says_when_it_opens_and_shows_the_last_readings(world):
    number, _ = account(world, cold(serial="C-6"))
    r = world.identified(account=number)
    first, last = close_window(world)
    r.send("Передать показания")
    r.expect(f"Приём показаний — с {first} по {last} число каждого месяца. Следующий откроется",
             "Последние показания", "ХВС № C-6 (кухня): 100,000 м³ от 10.01.2026")
    assert r.keyboard[0] == "Создать заявку"


def test_a_window_closing_mid_dialog_refuses_the_old_buttons(world):
    number, [meter_id, _] = account(world, cold(serial="C-7"), cold(serial="C-8"))
    r = world.identified(account=number)
    r.send("Передать показания")
    listing = r.expect("Счётчики по адресу")
    old_button = listing.button_data("ХВС № C-8 (кухня)")
    r.press("ХВС № C-7 (кухня)", message=listing)
    r.expect("Введите текущее показание")
    r.send("101")
    r.expect("Можно приложить фото")
    r.send("Без фото")
    r.expect("Проверьте и отправьте")
    close_window(world)
    r.press("Отправить")
    r.expect("Приём показаний закрыт — показание не сохранено. Следующий откроется")
    assert live(world, meter_id) is None
    set_window(world, 1, 31)
    r.send("Передать показания")
    fresh = r.expect("Счётчики по адресу")
    close_window(world)
    r.press("ХВС № C-8 (кухня)", message=fresh)
    r.expect("Приём показаний закрыт")
    assert r.press_data(old_button, listing)["text"] == "Эта кнопка устарела."  # a run long finished


def test_several_accounts_ask_the_address_first(world):
    first_account, _ = account(world, cold(serial="C-9"), street="ул. Первая")
    second_account, [second_meter] = account(world, cold(serial="C-10"), street="ул. Вторая")
    r = world.identified(account=first_account)
    with world.app.app_context():
        client = db.session.execute(select(Client).where(Client.account == second_account)).scalar_one()
        db.session.add(TelegramBinding(client_id=client.id, telegram_user_id=r.user_id, chat_id=r.chat_id, phone=PHONE))
        db.session.commit()
    r.send("Передать показания")
    ask = r.expect("Показания по какому адресу?")
    assert len(ask.buttons) == 3 and any("ул. Вторая" in b for b in ask.buttons)
    r.press(next(b for b in ask.buttons if "ул. Вторая" in b))
    listing = r.expect("Счётчики по адресу г. Самара, ул. Вторая")
    assert listing.buttons == ["ХВС № C-10 (кухня)", "Отменить"]


def test_a_forged_meter_of_another_account_and_a_replaced_meter_are_refused(world):
    _, [foreign] = account(world, cold(serial="C-11"))
    number, [own] = account(world, cold(serial="C-12"))
    r = world.identified(account=number)
    r.send("Передать показания")
    listing = r.expect("Счётчики по адресу")
    flow = codec.parse_dialog_button(listing.button_data("ХВС № C-12 (кухня)"))[0]
    r.press_data(codec.dialog_button(flow, "meter", foreign), listing)
    r.expect("Этот счётчик не относится к вашим лицевым счетам")
    r.expect("Счётчики по адресу")
    r.press_data(codec.dialog_button(flow, "meter", "9" * 40), listing)
    r.expect("не относится к вашим")
    r.expect("Счётчики по адресу")
    with world.app.app_context():
        meter = db.session.get(Meter, own)
        meter.active = False
        db.session.commit()
    r.press_data(codec.dialog_button(flow, "meter", own), listing)
    r.expect("Этот счётчик заменён")
    assert live(world, foreign) is None and live(world, own) is None


def test_an_account_without_meters_is_told_whom_to_call(world):
    number, _ = account(world)
    with world.app.app_context():
        company.put({"company_phone": "+78462000000"}, None)
        db.session.commit()
    r = world.identified(account=number)
    r.send("Передать показания")
    r.expect("счётчики не зарегистрированы", "+7 846 200-00-00")
