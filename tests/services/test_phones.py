"""Phone numbers (app/services/people/phones.py): the usual Russian ways of writing one, rejections, display."""
import pytest

from app.services.people.phones import InvalidPhone, display_phone, normalise_phone


@pytest.mark.parametrize("typed", [
    "+79123456789", "+7 912 345-67-89", "+7 (912) 345 67 89", "+7-912-345-67-89",
    "8 912 345-67-89", "8(912)345-67-89", "89123456789",
    "79123456789", "7 912 345 67 89",  # Telegram's shared contacts come without the plus
    "9123456789", "912 345 67 89",  # ten digits: a mobile number without 8 or +7
    "  +7 912 345 67 89  ", "８９１２３４５６７８９",  # full-width digits from some keyboards
])
def test_usual_russian_forms_become_e164(typed):
    assert normalise_phone(typed) == "+79123456789"


@pytest.mark.parametrize("typed,e164", [
    ("8 (846) 123-45-67", "+78461234567"),  # a Samara landline
    ("8 800 555-35-35", "+78005553535"),
    ("+380 44 123 4567", "+380441234567"),  # a foreign number keeps its country
])
def test_landlines_and_foreign_numbers(typed, e164):
    assert normalise_phone(typed) == e164


@pytest.mark.parametrize("typed,message", [
    ("", "Введите номер телефона"),
    ("   ", "Введите номер телефона"),
    (None, "Введите номер телефона"),
    ("9" * 41, "Введите номер телефона"),  # longer than any number written out
    ("позвоните мне", "Это не похоже на номер телефона"),
    ("+7 912 345 67 89, +7 912 345 67 88", "Это не похоже на номер телефона"),
    ("12345", "Такого номера телефона не существует"),
    ("123-45-67", "Такого номера телефона не существует"),  # a city number without its code
    ("+7 912 345", "Такого номера телефона не существует"),
    ("+7 912 345 67 890", "Такого номера телефона не существует"),
    ("8 000 000 00 00", "Такого номера телефона не существует"),
])
def test_what_is_not_a_phone_is_refused_with_an_example(typed, message):
    with pytest.raises(InvalidPhone, match=message) as refused:
        normalise_phone(typed)
    assert "+7 912 345-67-89" in str(refused.value)


@pytest.mark.parametrize("e164,shown", [
    ("+79123456789", "+7 912 345-67-89"),
    ("+78461234567", "+7 846 123-45-67"),
    ("+380441234567", "+380 44 123 4567"),
    ("", ""),
    (None, ""),
    ("не номер", "не номер"),  # whatever an old row holds is shown as it is
])
def test_display_format(e164, shown):
    assert display_phone(e164) == shown


def test_display_of_a_normalised_number_normalises_back():
    assert normalise_phone(display_phone("+79123456789")) == "+79123456789"
