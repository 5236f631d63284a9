"""Who receives an announcement: residents chosen by address, one message per Telegram chat.

A resident here is a Telegram chat bound (TelegramBinding) to a client whose address
matches: a city, a street of it, some of its houses (the number with its letter, «17А»),
a list of houses on any streets (`places`: an incident's houses), or everyone. A chat bound to several accounts is counted, and written to, once; a
resident who switched announcements off in the bot is left out. The count shown before
sending and the rows queued come from the same query, chats().
"""
import json
import re
from dataclasses import dataclass

from sqlalchemy import Select, and_, exists, func, or_, select, true

from app.extensions import db
from app.models import AnnouncementOptOut, Client, TelegramBinding


class InvalidAudience(ValueError):
    """The chosen addresses make no audience (the message says why, in Russian)."""


@dataclass(frozen=True)
class Audience:
    city: str | None = None   # None: everyone; "" is a real value (clients without a city)
    street: str | None = None  # None: the whole city
    houses: tuple[str, ...] = ()  # house with letter, «17А»; none: the whole street
    places: tuple[tuple[str, str, str], ...] = ()  # or these houses (city, street, house), any streets

    @property
    def everyone(self) -> bool:
        return self.city is None and not self.places

    def to_json(self) -> str:
        if self.places:
            return json.dumps({"places": [list(p) for p in self.places]}, ensure_ascii=False)
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
        return cls(value.get("city"), value.get("street"), tuple(value.get("houses") or ()),
                   tuple(tuple(p) for p in value.get("places") or ()))


HOUSE = Client.house + Client.house_letter  # «17» + «А»: a house as residents write it


def _where(audience: Audience) -> list:
    if audience.places:
        return [or_(*(and_(Client.city == city, Client.street == street, HOUSE == house)
                      for city, street, house in audience.places))]
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


def parse(scope: str, city: str | None, street: str | None, chosen: list[str],
          places: list[tuple[str, str, str]] = ()) -> Audience:
    """The audience from the compose form: «all», an address of the clients' own (a city,
    optionally a street of it, optionally some of its houses), or «places»: houses on any streets."""
    if scope == "all":
        return Audience()
    if scope == "places":
        return _places(places)
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


def _places(places) -> Audience:
    places = sorted(set(tuple(p) for p in places), key=lambda p: (_text_key(p[0]), _text_key(p[1]), _house_key(p[2])))
    if not places:
        raise InvalidAudience("Отметьте хотя бы один дом.")
    known = {}
    for city, street, house in places:
        if (city, street) not in known:
            known[city, street] = set(houses(city, street))
        if house not in known[city, street]:
            raise InvalidAudience(f"Дома {describe(Audience(city, street, (house,)))} нет среди адресов клиентов.")
    return Audience(places=tuple(places))


def describe(audience: Audience) -> str:
    """«г. Самара, ул. Садовая, д. 17, 19А», «г. Самара, ул. Садовая, все дома», «все дома»; places:
    «г. Самара, ул. Ленина, д. 24, 30; г. Самара, ул. Мира, д. 5»."""
    if audience.places:
        streets_of = {}
        for city, street, house in audience.places:
            streets_of.setdefault((city, street), []).append(house)
        return "; ".join(describe(Audience(city, street, tuple(chosen))) for (city, street), chosen in streets_of.items())
    if audience.everyone:
        return "все дома"
    parts = [f"г. {audience.city}" if audience.city else "город не указан"]
    if audience.street is not None:
        parts.append(audience.street)
    parts.append("д. " + ", ".join(audience.houses) if audience.houses else "все дома")
    return ", ".join(parts)

