"""Fixtures of the incident tests: a burst riser at ул. Ленина, 24 and the requests about it."""
from types import SimpleNamespace

import pytest

from app.extensions import db
from app.models import Category, Subcategory
from tests import factories
from tests.conftest import StaffClient


def seed_riser() -> SimpleNamespace:
    """Four residents of ул. Ленина, 24 (the first filed twice) and one of ул. Ленина, 30, all from
    Telegram, about «Водоснабжение / Нет воды»; a phoned-in one; a plumber."""
    water = Category(name="Водоснабжение")
    db.session.add(water)
    db.session.flush()
    no_water = Subcategory(category_id=water.id, name="Нет воды")
    db.session.add(no_water)
    lift = factories.category("Лифт", ("Не работает",))
    plumber = factories.executor("Петров Пётр", "Сантехник")
    clients = [factories.client(f"10000{n}", f"Житель {n}", house="24", house_letter="", apartment=str(n))
               for n in range(1, 5)]
    other_house = factories.client("200001", "Житель дома 30", house="30", house_letter="")
    from app.services.requests import lifecycle
    requests = []
    for n, client in enumerate(clients + [clients[0], other_house], start=1):
        chat = 500 + (clients.index(client) if client in clients else 9)
        requests.append(lifecycle.create_request(client=client, category=water, subcategory=no_water,
                                                 description=f"Нет воды {n}", author_telegram_id=chat,
                                                 author_chat_id=chat))
    phoned = lifecycle.create_request(client=clients[1], category=water, subcategory=no_water,
                                      description="Нет воды (звонок)", source="phone")
    db.session.commit()
    return SimpleNamespace(category=water.id, subcategory=no_water.id, lift=lift.id, plumber=plumber.id,
                           ids=[r.id for r in requests], numbers=[r.number for r in requests],
                           phoned=phoned.id, clients=[c.id for c in clients], other_client=other_house.id)


@pytest.fixture
def riser(app):
    with app.app_context():
        return seed_riser()


@pytest.fixture
def staff(app):
    return StaffClient.signed_in(app, "operator")
