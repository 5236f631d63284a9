"""Journal test data: requests with known clients, categories, dates, statuses and texts."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from app.extensions import db
from app.models import Category, Client, Executor, utcnow
from app.services.requests import deadlines
from tests import factories, snapshot

# 09:00 UTC is 12:00 in Moscow, so each request falls on the same day in both.
BASE = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)

# client key, category key, subcategory name (None: none), description, day, status, executor key
SPECS = [
    ("ivanov", "plumbing", "Протечка", "Течёт кран на кухне", 0, "new", None),
    ("ivanov", "plumbing", "Засор", "Засор в ванной", 1, "assigned", "petrov"),
    ("petrova", "electric", "Нет света", "Нет света в подъезде", 2, "in_progress", "sidorov"),
    ("petrova", "electric", "Искрит розетка", '=HYPERLINK("http://evil.example","нажми")', 3, "new", None),
    ("yolkina", "plumbing", "Протечка", "ПРОТЕЧКА с потолка", 4, "done", "petrov"),
    ("yolkina", "electric", None, "+7 900 звонить после 18", 5, "closed", "sidorov"),
    ("smith", "plumbing", "Засор", "Скидка 50% и under_score", 6, "archived", "petrov"),
    ("smith", "electric", "Нет света", "-5 градусов в квартире", 7, "new", None),
    ("petrova", "plumbing", "Протечка", "@всем\tвнимание", 8, "assigned", "petrov"),
]


@dataclass
class Journal:
    clients: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)
    executors: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)   # (id, number) in SPECS order, then the extra ones
    ids: dict = field(default_factory=dict)        # "category:plumbing" -> id, usable outside the app context

    def number(self, index: int) -> int:
        return self.requests[index][1]


KINDS = {"category": Category, "client": Client, "executor": Executor}


def seed_journal(extra: int = 0) -> Journal:
    """SPECS, then `extra` more ordinary requests spread over later days: built once in the whole run
    for each engine and `extra` (tests/shared.py), its rows copied into the test's fresh database after
    that (built again where the test had already written into the same tables)."""
    def keep(data: Journal) -> tuple:
        return data.requests, data.ids, {kind: list(getattr(data, attribute)) for kind, attribute in PLURAL.items()}

    result, built = snapshot.once(f"journal-{db.engine.dialect.name}-{extra}", lambda: _build_journal(extra), keep)
    if built:
        return result
    requests, ids, keys = result
    data = Journal(requests=list(requests), ids=dict(ids))
    for kind, attribute in PLURAL.items():
        setattr(data, attribute, {key: db.session.get(KINDS[kind], ids[f"{kind}:{key}"]) for key in keys[kind]})
    return data


PLURAL = {"category": "categories", "client": "clients", "executor": "executors"}


def _build_journal(extra: int) -> Journal:
    data = Journal()
    data.categories = {
        "plumbing": factories.category("Сантехника", ("Протечка", "Засор")),
        "electric": factories.category("Электрика", ("Нет света", "Искрит розетка")),
    }
    data.clients = {
        "ivanov": factories.client("100001", "Иванов Иван Иванович", street="ул. Ленина", house="5",
                                   house_letter="А", apartment="12", phone="+79123456789"),
        "petrova": factories.client("100002", "ПЕТРОВА Ольга Сергеевна", street="пр. Мира", house="10",
                                    house_letter="", apartment="7", phone="+79217654321"),
        "yolkina": factories.client("100003", "Ёлкина Анна", street="ул. Садовая", house="3",
                                    house_letter="Б", apartment="45", phone="+79001112233"),
        "smith": factories.client("200004", "Smith John", city="Тольятти", street="ул. Заводская",
                                  house="1", house_letter="", apartment="1", phone="+79035550000"),
    }
    data.executors = {
        "petrov": factories.executor("Петров Пётр", "Сантехник"),
        "sidorov": factories.executor("Сидоров Семён", "Электрик"),
    }
    specs = list(SPECS)
    keys = list(data.clients)
    statuses = ["new", "assigned", "in_progress", "done", "closed"]
    for i in range(extra):
        status = statuses[i % len(statuses)]
        category_key = "plumbing" if i % 3 else "electric"
        sub = ("Протечка", "Засор")[i % 2] if category_key == "plumbing" else "Нет света"
        specs.append((keys[i % len(keys)], category_key, sub,
                      f"Обычная заявка {i + 1}", 10 + i, status, None if status == "new" else "sidorov"))
    for client_key, category_key, sub, description, day, status, executor_key in specs:
        category = data.categories[category_key]
        req = factories.request(data.clients[client_key], category, description=description)
        req.subcategory_id = next(s.id for s in category.subcategories if s.name == sub) if sub else None
        req.created_at = BASE + timedelta(days=day)
        req.updated_at = req.created_at + timedelta(hours=1)
        req.status = status
        req.executor_id = data.executors[executor_key].id if executor_key else None
        data.requests.append((req.id, req.number))
    db.session.commit()
    for kind, objects in (("category", data.categories), ("client", data.clients), ("executor", data.executors)):
        data.ids.update({f"{kind}:{key}": obj.id for key, obj in objects.items()})
    return data


def seed_deadline_cases() -> dict[str, tuple[int, int]]:
    """Requests in every position against their deadlines, filed relative to now: key -> (id, number)."""
    plumbing = factories.category("Сантехника", ("Протечка",))
    plumbing.reaction_minutes, plumbing.completion_minutes = 60, 600
    electric = factories.category("Электрика", ("Нет света", "Искрит"))
    electric.reaction_minutes, electric.completion_minutes = 180, 1440
    sparks = next(s for s in electric.subcategories if s.name == "Искрит")
    sparks.emergency = True
    other = factories.category("Прочее", ())
    executor = factories.executor()
    now = utcnow()
    made = {}

    def filed(key, category, ago, subcategory=None):
        request = factories.request(category_obj=category, description=key)
        request.subcategory_id = subcategory.id if subcategory else None
        request.created_at = now - ago
        deadlines.apply_norm(request, deadlines.norm_of(category, subcategory))
        made[key] = request
        return request

    # Half a minute off the round figures, so that the minutes shown do not depend on the test's speed.
    filed("late", plumbing, timedelta(hours=2, seconds=30))     # reaction due 1 h ago
    filed("soon", plumbing, timedelta(minutes=30, seconds=30))  # reaction due in 30 min
    filed("in_time", electric, timedelta(seconds=30))           # reaction due in 3 h
    done = filed("done_late", plumbing, timedelta(hours=12))    # done 11 h 40 min after filing: 1 h 40 min late
    done.status, done.executor_id = "done", executor.id
    done.reacted_at, done.completed_at = done.created_at + timedelta(minutes=70), now - timedelta(minutes=20)
    deadlines.refresh(done)
    filed("no_norm", other, timedelta(hours=5))
    filed("emergency", electric, timedelta(0), sparks)
    db.session.commit()
    return {key: (r.id, r.number) for key, r in made.items()}
