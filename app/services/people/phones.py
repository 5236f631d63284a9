"""Phone numbers: the one place that parses and formats them.

`phonenumbers` (Google's libphonenumber) knows Russian numbering, so
`8 912 345-67-89`, `+7 (912) 345 67 89` and `9123456789` all become `+79123456789`.
"""
import functools

import phonenumbers

DEFAULT_REGION = "RU"


class InvalidPhone(ValueError):
    pass


def normalise_phone(raw: str) -> str:
    """Return the number in E.164 (`+79123456789`) or raise InvalidPhone."""
    text = (raw or "").strip()
    if not text or len(text) > 40:
        raise InvalidPhone("Введите номер телефона, например +7 912 345-67-89.")
    digits = "".join(ch for ch in text if ch.isdigit())
    # A bare 10-digit Russian mobile number typed without 8 or +7.
    if len(digits) == 10 and not text.startswith("+"):
        text = "+7" + digits
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidPhone("Это не похоже на номер телефона. Пример: +7 912 345-67-89.") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("Такого номера телефона не существует. Пример: +7 912 345-67-89.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def search_digits(raw: str) -> str:
    """The digits of a phone number (or a part of one) typed to search by, as stored numbers hold
    them: a whole Russian number typed with the trunk prefix, 8 912 345-67-89, is +7 912 345-67-89."""
    digits = "".join(ch for ch in raw or "" if ch.isascii() and ch.isdigit())
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    return digits


@functools.lru_cache(maxsize=8192)  # the journal shows dozens per page; parsing one costs ~40 µs
def display_phone(e164: str | None) -> str:
    """Human format for screens and messages: +7 912 345-67-89."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
