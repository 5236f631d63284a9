"""Residents at a few addresses, bound to the bot, and image files, for the announcement tests
(the HTTP, browser and end-to-end ones)."""
import struct
import zlib

from app.extensions import db
from app.models import TelegramBinding
from tests import factories

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


def png(width: int = 4, height: int = 3) -> bytes:
    """A real (tiny, grey) PNG image."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg_header(width: int = 640, height: int = 480) -> bytes:
    """The start of a JPEG: SOI, an APP0 segment, a baseline frame header (the size), EOI."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"
