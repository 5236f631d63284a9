"""Rules for client records, shared by the client form and the file import."""
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


class InvalidAccount(ValueError):
    pass


def max_length(field: str) -> int:
    """Column length from the model: one source for the form and the import."""
    return Client.__table__.c[field].type.length


def normalise_account(raw) -> str:
    """A personal account (ЛС) is digits only; spaces people type between groups are dropped."""
    text = "".join(str(raw if raw is not None else "").split())
    if not text:
        raise InvalidAccount("Укажите лицевой счёт.")
    if not text.isdecimal() or not text.isascii():
        raise InvalidAccount("Лицевой счёт должен состоять только из цифр.")
    if len(text) > max_length("account"):
        raise InvalidAccount(f"Лицевой счёт длиннее {max_length('account')} цифр.")
    return text
