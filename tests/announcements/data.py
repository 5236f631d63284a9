"""Residents at a few addresses, bound to the bot, and image files, for the announcement tests
(the HTTP, browser and end-to-end ones)."""
from app.extensions import db
from app.models import TelegramBinding
from tests import factories
from tests.images import jpeg_header, png  # noqa: F401 - the image files of these tests

# account, city, street, house, letter, Telegram chats bound to it
RESIDENTS = [
    ("200001", "Самара", "ул. Садовая", "17", "", [1001]),
    ("200002", "Самара", "ул. Садовая", "17", "", [1002, 1003]),  # two family members
    ("200003", "Самара", "ул. Садовая", "17", "А", [1004]),
    ("200004", "Самара", "ул. Садовая", "19", "", [1005]),
    ("200005", "Самара", "ул. Ленина", "5", "", [1006]),
    ("200006", "Тольятти", "ул. Мира", "1", "", [1007]),
    ("200007", "Самара", "ул. Садовая", "19", "", []),  # not in the bot
    ("200008", "Самара", "ул. Садовая", "17", "", [1001]),  # a second flat of chat 1001's resident
]


def bind(client, chat_id: int) -> TelegramBinding:
    binding = TelegramBinding(client_id=client.id, telegram_user_id=chat_id, chat_id=chat_id,
                              phone="+79120000000")
    db.session.add(binding)
    db.session.commit()
    return binding


def seed_residents() -> dict:
    """The RESIDENTS (call inside an app context); returns the clients by account."""
    clients = {}
    for account, city, street, house, letter, chats in RESIDENTS:
        client = factories.client(account, f"Жилец {account}", city=city, street=street, house=house,
                                  house_letter=letter)
        for chat_id in chats:
            bind(client, chat_id)
        clients[account] = client
    return clients
