"""Each filter kind alone (app/journal/filters.py): what it accepts, what it refuses and how it
describes the value; then the descriptions where staff see them."""
from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from app.journal.columns import BY_KEY
from app.journal.filters import Choices, FilterError

CHOICES = Choices(
    options={"category": [("1", "Сантехника"), ("2", "Электрика")],
             "subcategory": [("5", "Протечка")],
             "executor": [("7", "Петров Пётр")]},
    subcategory_parent={"5": ("1", "Сантехника")},
)


def parse(key, **params):
    column = BY_KEY[key]
    raw = column.filter.read(MultiDict(params), key)
    return column.filter.parse(raw, key, CHOICES), raw


@pytest.mark.parametrize("key,params,value,described", [
    ("client", {"client": "  Иванова "}, "Иванова", "«Иванова»"),
    ("phone", {"phone": "8 912 345-67-89"}, "79123456789", "«8 912 345-67-89»"),
    ("phone", {"phone": "(912) 345"}, "912345", "«(912) 345»"),
    ("account", {"account": "100-200 3"}, "1002003", "начинается с 1002003"),
    ("number", {"number": "№ 1024"}, 1024, "№ 1024"),
    ("created_at", {"created_at_from": "01.03.2024"}, (date(2024, 3, 1), None), "с 01.03.2024"),
    ("created_at", {"created_at_from": "2024-03-01", "created_at_to": "2024-03-31"},
     (date(2024, 3, 1), date(2024, 3, 31)), "с 01.03.2024 по 31.03.2024"),
    ("created_at", {"created_at_to": "31.03.2024"}, (None, date(2024, 3, 31)), "по 31.03.2024"),
    ("status", {"status": "open"}, "open", "Все незакрытые"),
    ("status", {"status": "done"}, "done", "выполнена"),
    ("category", {"category": "2"}, "2", "Электрика"),
    ("executor", {"executor": "none"}, "none", "— не назначен —"),
    ("executor", {"executor": "7"}, "7", "Петров Пётр"),
])
def test_accepted_values_and_their_description(key, params, value, described):
    parsed, raw = parse(key, **params)
    assert parsed == value
    assert BY_KEY[key].filter.describe(parsed, raw, key, CHOICES) == described


@pytest.mark.parametrize("key", ["client", "phone", "account", "number", "created_at", "status", "executor"])
def test_an_empty_filter_is_no_filter(key):
    assert parse(key)[0] is None


@pytest.mark.parametrize("key,params,message", [
    ("client", {"client": "я" * 101}, "Слишком длинный текст"),
    ("phone", {"phone": "звонить"}, "Введите цифры номера телефона"),
    ("account", {"account": "12А4"}, "Лицевой счёт состоит из цифр"),
    ("number", {"number": "12.5"}, "Номер заявки — целое число"),
    ("created_at", {"created_at_from": "2024-02-30"}, "Такой даты нет"),
    ("created_at", {"created_at_from": "5 марта"}, "укажите её в виде ДД.ММ.ГГГГ"),
    ("created_at", {"created_at_from": "02.03.2024", "created_at_to": "01.03.2024"}, "позже его конца"),
    ("status", {"status": "lost"}, "Такого значения нет в списке"),
    ("category", {"category": "3"}, "Такого значения нет в списке"),
])
def test_refused_values_say_why(key, params, message):
    with pytest.raises(FilterError, match=message):
        parse(key, **params)


def test_only_its_own_parameters_are_read_and_kept_short():
    column = BY_KEY["created_at"]
    raw = column.filter.read(MultiDict({"created_at_from": " 2024-03-01 " + "x" * 100, "client": "x"}),
                             "created_at")
    assert set(raw) == {"created_at_from", "created_at_to"}
    assert raw["created_at_from"].startswith("2024-03-01") and len(raw["created_at_from"]) <= 40


def test_account_filter_takes_the_format_of_bills(staff, journal):
    """ЛС typed with dashes as on a bill: the same rule as the client form and the bot."""
    assert len(staff.numbers("/?account=100-00")) == 7  # the three clients 10000x
    assert staff.numbers("/?account=2000-04") == [journal.number(7), journal.number(6)]


def test_filters_on_hidden_columns_are_described_in_words(staff, journal):
    page = staff.page(f"/?city=Тольятти&updated_at_from=2024-03-01&number={journal.number(6)}"
                      f"&executor={journal.ids['executor:petrov']}")
    # number and executor are visible by default (no chip); city and «Изменена» are hidden
    assert "Город: «Тольятти»" in page and "Изменена: с 01.03.2024" in page
    assert "Номер: №" not in page and "Исполнитель: Петров" not in page
