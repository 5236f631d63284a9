"""Fixtures of the security sweep: a small world of objects, URL-map helpers."""
import re
from datetime import date
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Announcement, Meter, MeterReading, RequestPhoto, StaffUser, TelegramBinding
from app.services.incidents import records
from app.services.people import executor_links
from app.services.messaging.audience import Audience
from tests import factories

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 64
ARGUMENT = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>")


@dataclass
class World:
    """Two of everything a URL can name, so a route can be given another object's id."""

    ids: dict[str, int] = field(default_factory=dict)    # URL argument -> an object of client A's side
    other: dict[str, int] = field(default_factory=dict)  # URL argument -> the same kind, on B's side

    def url(self, rule, **values) -> str:
        """The rule with these values, and the world's own objects for every other argument."""
        def fill(match):
            name = match.group(2)
            return str(values[name] if name in values else self.ids.get(name, "x"))
        return ARGUMENT.sub(fill, rule.rule)


@pytest.fixture
def world(app, tmp_path) -> World:
    """Clients A and B with a Telegram binding each, a category with a subcategory, executors (one
    with an open invitation to the bot), a spare staff user, a request of each client with a photo on disk, and a draft
    announcement with a photo."""
    storage = tmp_path / "storage" / "photos"
    storage.mkdir(parents=True)
    (storage / "a.jpg").write_bytes(JPEG)
    (tmp_path / "storage" / "announcements").mkdir()
    (tmp_path / "storage" / "announcements" / "n.jpg").write_bytes(JPEG)
    with app.app_context():
        client_a = factories.client("500001", "Клиент Альфа")
        client_b = factories.client("500002", "Клиент Бета")
        category = factories.category("Кровля", ("Протекает крыша", "Сосульки"))
        factories.category("Лифт", ("Застрял",))
        executor = factories.executor("Свободный Исполнитель", "Кровельщик")
        spare = StaffUser(login="spare", role="operator", full_name="Запасной Сотрудник",
                          password_hash="!")  # never matches a password: nobody signs in as them
        db.session.add(spare)
        db.session.flush()
        executor_links.create_invitation(executor, spare)  # its QR code is a page too
        bindings = [TelegramBinding(client_id=c.id, telegram_user_id=700 + i, chat_id=700 + i,
                                    phone="+79120000000") for i, c in enumerate((client_a, client_b))]
        db.session.add_all(bindings)
        requests = [factories.request(c, category, description="Течёт") for c in (client_a, client_b)]
        photos = [RequestPhoto(request_id=r.id, file_path="photos/a.jpg") for r in requests]
        db.session.add_all(photos)
        incident = records.create(category=category, subcategory=None, description="Протечка кровли",
                                  expected_at=None, executor=executor, houses=[records.house_of(client_a)],
                                  actor=spare)
        notice = Announcement(text="Отключение воды", photo="announcements/n.jpg",
                              audience=Audience("Самара").to_json())
        db.session.add(notice)
        meters = [Meter(client_id=c.id, resource="cold", serial=f"S-{c.id}", place="", int_digits=5, frac_digits=3,
                        initial_date=date(2026, 1, 1), initial1=0, active=True) for c in (client_a, client_b)]
        db.session.add_all(meters)
        db.session.flush()
        readings = [MeterReading(meter_id=m.id, period=date(2026, 2, 1), v1=1000, prev1=0, source="bot",
                                 status="suspicious", live=True, chat_id=700, photo_path="photos/a.jpg")
                    for m in meters]
        db.session.add_all(readings)
        db.session.commit()
        world = World(
            ids={"client_id": client_a.id, "binding_id": bindings[0].id, "category_id": category.id,
                 "sub_id": category.subcategories[0].id, "executor_id": executor.id, "user_id": spare.id,
                 "request_id": requests[0].id, "photo_id": photos[0].id, "job_id": "0" * 16,
                 "announcement_id": notice.id, "meter_id": meters[0].id, "reading_id": readings[0].id,
                 "incident_id": incident.id},
            other={"client_id": client_b.id, "binding_id": bindings[1].id,
                   "request_id": requests[1].id, "photo_id": photos[1].id, "meter_id": meters[1].id,
                   "reading_id": readings[1].id},
        )
    return world


def routes(app):
    """(rule, method) for every rule of the URL map but static files."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def int_arguments(rule) -> list[str]:
    return [name for kind, name in ARGUMENT.findall(rule.rule) if kind == "int"]


def snapshot(app) -> dict:
    """Every row of every table, to prove that a refused request changed nothing."""
    with app.app_context():
        return {table.name: sorted(map(repr, db.session.execute(select(table)).all()))
                for table in db.metadata.sorted_tables}
