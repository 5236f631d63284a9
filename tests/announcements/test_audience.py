"""Choosing residents by address: one message per chat, opt-outs left out, the count equals the rows."""
import pytest

from app.extensions import db
from app.services.messaging import audience
from app.services.messaging.announcements import set_wants_announcements
from app.services.messaging.audience import Audience, InvalidAudience
from tests import factories
from tests.announcements.data import bind


def chats(value: Audience) -> list[int]:
    return sorted(db.session.execute(audience.chats(value)).scalars())


def test_a_house_is_its_number_with_its_letter(residents):
    assert chats(Audience("Самара", "ул. Садовая", ("17",))) == [1001, 1002, 1003]
    assert chats(Audience("Самара", "ул. Садовая", ("17А",))) == [1004]
    assert chats(Audience("Самара", "ул. Садовая", ("17", "17А"))) == [1001, 1002, 1003, 1004]


def test_a_street_a_city_and_everyone(residents):
    assert chats(Audience("Самара", "ул. Садовая")) == [1001, 1002, 1003, 1004, 1005]
    assert chats(Audience("Самара")) == [1001, 1002, 1003, 1004, 1005, 1006]
    assert chats(Audience()) == [1001, 1002, 1003, 1004, 1005, 1006, 1007]


def test_a_chat_bound_to_two_flats_of_the_house_counts_once(residents):
    value = Audience("Самара", "ул. Садовая", ("17",))
    assert audience.count(value) == 3  # chat 1001 holds two accounts in house 17
    assert audience.count(Audience()) == 7


def test_residents_who_switched_notices_off_are_left_out_and_counted_apart(residents):
    set_wants_announcements(1002, False)
    db.session.commit()
    value = Audience("Самара", "ул. Садовая", ("17",))
    assert chats(value) == [1001, 1003]
    assert (audience.count(value), audience.opted_out(value)) == (2, 1)
    set_wants_announcements(1002, True)
    db.session.commit()
    assert (audience.count(value), audience.opted_out(value)) == (3, 0)


def test_the_addresses_to_choose_from_are_the_clients_own(residents):
    factories.client("200010", "Без города", city="", street="ул. Садовая", house="2", house_letter="")
    factories.client("200011", "Дробь", city="Самара", street="ул. Садовая", house="10/2", house_letter="")
    factories.client("200012", "Десятый", city="Самара", street="ул. Садовая", house="10", house_letter="")
    assert audience.cities() == ["", "Самара", "Тольятти"]
    assert audience.streets("Самара") == ["ул. Ленина", "ул. Садовая"]
    assert audience.houses("Самара", "ул. Садовая") == ["10", "10/2", "17", "17А", "19"]
    assert audience.houses("Тольятти", "ул. Садовая") == []
    bind(factories.client("200013", "Без города 2", city="", street="ул. Садовая", house="2", house_letter=""), 1010)
    assert chats(audience.parse("address", "", "ул. Садовая", ["2"])) == [1010]


def test_the_form_becomes_an_audience(residents):
    assert audience.parse("all", None, None, []) == Audience()
    assert audience.parse("address", "Самара", "", []) == Audience("Самара")
    assert audience.parse("address", "Самара", "ул. Садовая", ["19", "17А", "17", "17"]) == \
        Audience("Самара", "ул. Садовая", ("17", "17А", "19"))


@pytest.mark.parametrize("scope,city,street,houses,message", [
    ("", None, None, [], "кому отправить"),
    ("address", None, None, [], "Выберите город"),
    ("address", "Сызрань", None, [], "Выберите город"),
    ("address", "Самара", "ул. Мира", [], "Такой улицы"),
    ("address", "Самара", "", ["17"], "выберите сначала улицу"),
    ("address", "Самара", "ул. Садовая", ["17", "99"], "Дома 99 нет"),
])
def test_an_address_not_among_the_clients_is_refused(residents, scope, city, street, houses, message):
    with pytest.raises(InvalidAudience, match=message):
        audience.parse(scope, city, street, houses)


def test_described_in_words_and_kept_as_json():
    cases = [
        (Audience(), "все дома"),
        (Audience("Самара"), "г. Самара, все дома"),
        (Audience("Самара", "ул. Садовая"), "г. Самара, ул. Садовая, все дома"),
        (Audience("Самара", "ул. Садовая", ("17", "19А")), "г. Самара, ул. Садовая, д. 17, 19А"),
        (Audience("", "ул. Садовая", ("2",)), "город не указан, ул. Садовая, д. 2"),
    ]
    for value, words in cases:
        assert audience.describe(value) == words
        assert Audience.from_json(value.to_json()) == value
