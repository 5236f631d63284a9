"""Who receives an announcement: residents chosen by address, one message per Telegram chat.

A resident here is a Telegram chat bound (TelegramBinding) to a client whose address
matches: a city, a street of it, some of its houses (the number with its letter, «17А»),
or everyone. A chat bound to several accounts is counted, and written to, once; a
resident who switched announcements off in the bot is left out. The count shown before
sending and the rows queued come from the same query, chats().
"""
import json
import re
from dataclasses import dataclass

from sqlalchemy import Select, and_, exists, func, select, true

from app.extensions import db
from app.models import AnnouncementOptOut, Client, TelegramBinding


class InvalidAudience(ValueError):
    """The chosen addresses make no audience (the message says why, in Russian)."""


@dataclass(frozen=True)
class Audience:
    city: str | None = None   # None: everyone; "" is a real value (clients without a city)
    street: str | None = None  # None: the whole city
    houses: tuple[str, ...] = ()  # house with letter, «17А»; none: the whole street

    @property
    def everyone(self) -> bool:
        return self.city is None

    def to_json(self) -> str:
        if self.everyone:
            return "{}"
        value = {"city": self.city}
        if self.street is not None:
            value["street"] = self.street
            if self.houses:
                value["houses"] = list(self.houses)
        return json.dumps(value, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> "Audience":
        value = json.loads(raw or "{}")
        return cls(value.get("city"), value.get("street"), tuple(value.get("houses") or ()))


HOUSE = Client.house + Client.house_letter  # «17» + «А»: a house as residents write it


def _where(audience: Audience) -> list:
    conditions = []
    if audience.city is not None:
        conditions.append(Client.city == audience.city)
    if audience.street is not None:
        conditions.append(Client.street == audience.street)
    if audience.houses:
        conditions.append(HOUSE.in_(audience.houses))
    return conditions


def at_addresses(audience: Audience):
    """The condition on Client of the audience's addresses (true for everyone)."""
    return and_(true(), *_where(audience))


def _opted_out():
    return exists().where(AnnouncementOptOut.telegram_user_id == TelegramBinding.telegram_user_id)


def _bound_chats(audience: Audience) -> Select:
    return (select(TelegramBinding.chat_id).join(Client, Client.id == TelegramBinding.client_id)
            .where(*_where(audience)))


def chats(audience: Audience) -> Select:
    """The distinct Telegram chats to write to: residents at the addresses who want announcements."""
    return _bound_chats(audience).where(~_opted_out()).distinct()


def count(audience: Audience) -> int:
    return db.session.execute(select(func.count()).select_from(chats(audience).subquery())).scalar_one()


def opted_out(audience: Audience) -> int:
    """Chats at the addresses whose residents switched announcements off."""
    stmt = _bound_chats(audience).where(_opted_out()).distinct()
    return db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()


# --- the addresses staff choose from (every client's, bound to the bot or not) ---

def cities() -> list[str]:
    found = db.session.execute(select(Client.city).distinct()).scalars()
    return sorted(found, key=_text_key)


def streets(city: str) -> list[str]:
    found = db.session.execute(select(Client.street).where(Client.city == city).distinct()).scalars()
    return sorted((s for s in found if s), key=_text_key)


def houses(city: str, street: str) -> list[str]:
    found = db.session.execute(
        select(HOUSE).where(Client.city == city, Client.street == street).distinct()).scalars()
    return sorted((h for h in found if h), key=_house_key)


def _text_key(text: str) -> str:
    return text.casefold().replace("ё", "е")


def _house_key(house: str):
    """2 < 10 < 10А < 10Б < 10/2 < «Лит. Б»: by the number first, then the rest."""
    match = re.match(r"\d+", house)
    return (int(match.group()) if match else float("inf"), _text_key(house))


def parse(scope: str, city: str | None, street: str | None, chosen: list[str]) -> Audience:
    """The audience from the compose form: «all», or an address of the clients' own (a city,
    optionally a street of it, optionally some of its houses)."""
    if scope == "all":
        return Audience()
    if scope != "address":
        raise InvalidAudience("Выберите, кому отправить: всем жителям или по адресу.")
    if city is None or city not in cities():
        raise InvalidAudience("Выберите город из списка.")
    if not street:
        if chosen:
            raise InvalidAudience("Чтобы выбрать дома, выберите сначала улицу.")
        return Audience(city)
    if street not in streets(city):
        raise InvalidAudience("Такой улицы в этом городе нет среди адресов клиентов: выберите из списка.")
    unknown = set(chosen) - set(houses(city, street))
    if unknown:
        raise InvalidAudience(f"Дома {', '.join(sorted(unknown))} нет на этой улице: выберите из списка.")
    return Audience(city, street, tuple(sorted(set(chosen), key=_house_key)))


def describe(audience: Audience) -> str:
    """«г. Самара, ул. Садовая, д. 17, 19А», «г. Самара, ул. Садовая, все дома», «все дома»."""
    if audience.everyone:
        return "все дома"
    parts = [f"г. {audience.city}" if audience.city else "город не указан"]
    if audience.street is not None:
        parts.append(audience.street)
    parts.append("д. " + ", ".join(audience.houses) if audience.houses else "все дома")
    return ", ".join(parts)

