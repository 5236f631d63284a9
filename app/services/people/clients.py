"""Rules for client records, shared by the client form, the file import, the bot and the journal."""
import re

from app.models import Client

# Field -> Russian name, in the order of the form and of the import template.
FIELDS = {
    "full_name": "ФИО",
    "city": "Город",
    "street": "Улица",
    "house": "Дом",
    "house_letter": "Литера",
    "apartment": "Квартира",
    "phone": "Телефон",
    "contract_number": "№ договора",
    "account": "Лицевой счёт",
}
REQUIRED = ("account", "full_name", "street", "house")


# What people type between the digit groups of a personal account (ЛС), as bills print it.
ACCOUNT_SEPARATORS = re.compile(r"[\s\-–—.]")


class InvalidAccount(ValueError):
    def __init__(self, message: str, too_long: bool = False):
        super().__init__(message)
        self.too_long = too_long


def max_length(field: str) -> int:
    """Column length from the model: one source for the form and the import."""
    return Client.__table__.c[field].type.length


def normalise_account(raw) -> str:
    """A personal account (ЛС) is digits only; spaces, dashes and dots between groups are dropped."""
    text = ACCOUNT_SEPARATORS.sub("", str(raw if raw is not None else ""))
    if not text:
        raise InvalidAccount("Укажите лицевой счёт.")
    if not text.isdecimal() or not text.isascii():
        raise InvalidAccount("Лицевой счёт должен состоять только из цифр.")
    if len(text) > max_length("account"):
        raise InvalidAccount(f"Лицевой счёт длиннее {max_length('account')} цифр.", too_long=True)
    return text


def account_prefix(raw) -> str:
    """The beginning of a ЛС typed to search by, in the same format."""
    try:
        return normalise_account(raw)
    except InvalidAccount as error:
        if error.too_long:
            raise
        raise InvalidAccount("Лицевой счёт состоит из цифр: введите его или его начало.") from None
