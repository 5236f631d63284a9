"""Dashboard test data: ten weeks of requests filed and moved through the real request services."""
import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from app.extensions import db
from app.models import Request, Subcategory
from app.services.incidents import records
from app.services.requests import lifecycle as request_service
from tests import factories, snapshot
from tests.clock import Clock

START = datetime(2024, 1, 20, 0, 0, tzinfo=timezone.utc)
NOW = datetime(2024, 4, 5, 18, 0, tzinfo=timezone.utc)
# (city, street, house, letter): the last one typed so that Excel would take its address for a formula.
STREETS = [("Самара", "ул. Ленина", "5", "А"), ("Самара", "ул. Ленина", "7", ""), ("Самара", "пр. Мира", "10", ""),
           ("", "=ул. Садовая", "3", "Б")]


def build_history(app, monkeypatch) -> Clock:
    """150 requests filed over ten weeks (in 2024: the clock is frozen) and moved along every path;
    of those closed after «выполнена», most were confirmed and rated by their resident in the bot."""
    clock = Clock(monkeypatch, NOW)
    rng = random.Random(416)
    residents = random.Random(5)  # apart, so that the requests' paths are those they always were
    with app.app_context():
        categories = []
        for name, reaction, completion, subs in (("Сантехника", 60, 3 * 1440, ("Протечка", "Засор")),
                                                 ("Лифт", 30, 1440, ("Застревание", "Кнопка")),
                                                 ("Уборка", None, None, ())):
            category = factories.category(name, subs)
            category.reaction_minutes, category.completion_minutes = reaction, completion
            categories.append(category)
        stuck = db.session.execute(select(Subcategory).where(Subcategory.name == "Застревание")).scalar_one()
        stuck.emergency, stuck.reaction_minutes, stuck.completion_minutes = True, 10, 30
        clients = [factories.client(str(100000 + i), f"Житель {i}", city=city, street=street, house=house,
                                    house_letter=letter, apartment=str(i))
                   for i, (city, street, house, letter) in enumerate(STREETS * 3)]
        executors = [factories.executor(f"Исполнитель {i}") for i in range(3)]
        operator = factories.staff("operator")

        def at(moment):
            clock.now = min(moment, NOW)

        for _ in range(150):
            filed = START + timedelta(seconds=rng.randrange(int((NOW - START).total_seconds())))
            at(filed)
            category = rng.choice(categories)
            subcategory = rng.choice(category.subcategories + [None])
            client = rng.choice(clients)
            resident = 700_000 + client.id  # the resident's Telegram user id, and their chat's
            request = request_service.create_request(client=client, category=category, subcategory=subcategory,
                                                     description="…", author_telegram_id=resident,
                                                     author_chat_id=resident)
            moment = filed
            path = rng.choice(["new", "assigned", "work", "done", "closed", "archived", "duplicate", "reopened",
                               "done", "closed"])
            steps = {"new": [], "assigned": ["assign"], "work": ["assign", "in_progress"],
                     "done": ["assign", "in_progress", "done"], "closed": ["assign", "in_progress", "done", "closed"],
                     "archived": ["assign", "in_progress", "done", "closed", "archived"], "duplicate": ["closed"],
                     "reopened": ["assign", "in_progress", "done", "in_progress", "recategorise", "done"]}[path]
            for step in steps:
                moment += timedelta(minutes=rng.choice([3, 8, 25, 50, 95, 300, 1500, 4000]))
                if moment > NOW:
                    break
                at(moment)
                if step == "assign":
                    request_service.assign_executor(request, rng.choice(executors), operator)
                elif step == "recategorise":
                    request_service.change_category(request, stuck.category, stuck, operator)
                elif step == "closed" and request.status == "done" and residents.random() < 0.8:
                    request_service.answer_confirmation(request, resident, solved=True)
                    request_service.rate(request, residents.choice([1, 2, 3, 4, 4, 5, 5, 5]))
                else:
                    request_service.change_status(request, step, operator)
            if rng.random() < 0.15 and request.status not in ("closed", "archived"):
                at(moment + timedelta(minutes=5))
                request_service.assign_executor(request, rng.choice(executors), operator)  # handed over
            db.session.commit()
        # An incident that absorbed the lift requests of one house (linked as they are: no figure above moves).
        lift = categories[1]
        incident = records.create(category=lift, subcategory=None, description="Лифт стоит", expected_at=None,
                                  executor=None, houses=[STREETS[0]], actor=operator)
        incident.created_at = NOW - timedelta(days=3)
        db.session.execute(update(Request).where(Request.category_id == lift.id).values(incident_id=incident.id))
        db.session.commit()
    clock.now = NOW  # "overdue now" is counted at this moment
    return clock


def history(app, monkeypatch) -> Clock:
    """build_history's data in the app's fresh database: built through the services once in the
    whole run for each backend and time zone, copied after that (seconds of setup per test)."""
    backend, zone = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0], app.config.get("TIMEZONE") or "default"
    with app.app_context():
        clock, built = snapshot.once(f"dashboard-history-{backend}-{zone}".replace("/", "-"),
                                     lambda: build_history(app, monkeypatch), keep=lambda clock: None)
    return clock if built else Clock(monkeypatch, NOW)

