"""Demo data for `flask seed-demo`: a small management company that has been working a few months.

Deterministic: the same seed gives the same people, addresses and requests
(dates are relative to the day it runs). Requests go through the real request
services, so numbers, history events, status timestamps and deadlines are what the
live system would write; their author_chat_id is None, so no Telegram message is
queued for these invented residents. Most requests filed through the bot and closed
after the work were confirmed and rated by their resident («Проблема решена?» → «Да»).
A working office: each request's life is drawn from its category's norms (most reactions and
completions well within them, a few late) and taken as far as it has got by now, so the open
requests are the recent ones and few are overdue; the newest few are caught at each stage, one
of them late.
The benchmarks build their (much bigger) databases from the same pieces: client_rows(),
add_categories() (with NORMS), add_executors(), CATEGORY_WEIGHTS and DESCRIPTIONS.
"""
import math
import random
import secrets
from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Category, Client, Executor, Request, RequestEvent, StaffUser, Subcategory, utcnow,
)
from app.models.conversation import Verdict
from app.models.staff import ROLE_OPERATOR
from app.services.requests import deadlines
from app.services.statistics import request_stats
from app.services.requests import lifecycle as request_service
from app.services.requests.statuses import TIMESTAMP_FIELD, Status
from app.timezone import local_tz

LAST_NAMES = [
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв",
    "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв",
    "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев",
    "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев",
]
MALE_FIRST_NAMES = [
    "Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Максим", "Иван", "Михаил",
    "Евгений", "Владимир", "Николай", "Павел", "Артём", "Виктор", "Олег", "Юрий", "Игорь",
    "Роман", "Константин", "Геннадий", "Анатолий", "Василий", "Григорий", "Денис",
]
FEMALE_FIRST_NAMES = [
    "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Анна", "Мария", "Екатерина",
    "Юлия", "Людмила", "Галина", "Марина", "Надежда", "Валентина", "Анастасия", "Вера",
    "Лариса", "Нина", "Любовь", "Оксана", "Дарья", "Ксения", "Зоя",
]
PATRONYMIC_ROOTS = [
    "Александров", "Сергеев", "Дмитриев", "Андреев", "Алексеев", "Иванов", "Михайлов",
    "Владимиров", "Николаев", "Павлов", "Викторов", "Петров", "Юрьев", "Олегов", "Борисов",
    "Васильев", "Геннадьев", "Анатольев", "Евгеньев", "Григорьев",
]
CITY = "Самара"
STREETS = [
    "ул. Ленина", "ул. Гагарина", "пр. Мира", "ул. Советская", "ул. Садовая", "ул. Молодёжная",
    "ул. Школьная", "ул. Победы", "ул. Лесная", "ул. Новая", "ул. Заводская", "ул. Строителей",
    "пр. Кирова", "ул. Некрасова", "ул. Чкалова", "ул. Пушкина",
]
HOUSE_LETTERS = ["", "", "", "", "А", "Б"]
FLATS_PER_HOUSE = [36, 60, 80, 120]

CATEGORIES = {
    "Сантехника": ["Протечка", "Засор канализации", "Нет горячей воды", "Нет холодной воды",
                   "Замена смесителя или крана"],
    "Электрика": ["Нет света в квартире", "Не горит свет в подъезде", "Искрит розетка или щиток",
                  "Замена автомата"],
    "Лифт": ["Лифт не работает", "Застревание в лифте", "Не работает кнопка вызова"],
    "Отопление": ["Холодные батареи", "Течь радиатора", "Завоздушен стояк"],
    "Уборка": ["Уборка подъезда", "Вывоз мусора", "Снег и наледь"],
    "Прочее": ["Домофон", "Двери и окна в подъезде", "Другое"],
}
CATEGORY_WEIGHTS = [30, 20, 12, 15, 13, 10]  # how often residents ask for each of CATEGORIES
DAY = 1440
# Response norms (emergency, reaction minutes, completion minutes) of CATEGORIES and of some
# subcategories (None: as the category), after the figures housing inspectorates cite from
# Decree № 416: an emergency localised within 30 minutes, a blockage cleared within 2 hours,
# a repair done within 3 days. A real company sets its own.
NORMS = {
    "Сантехника": (False, 60, 3 * DAY), "Протечка": (True, 10, 30), "Засор канализации": (None, 30, 120),
    "Нет горячей воды": (None, 30, DAY), "Нет холодной воды": (None, 30, DAY),
    "Электрика": (False, 60, 3 * DAY), "Нет света в квартире": (None, 30, DAY),
    "Искрит розетка или щиток": (True, 10, 30),
    "Лифт": (False, 30, DAY), "Застревание в лифте": (True, 10, 30),
    "Отопление": (False, 60, 3 * DAY), "Течь радиатора": (True, 10, 30),
    "Уборка": (False, 120, 3 * DAY), "Снег и наледь": (None, 60, DAY),
    "Прочее": (False, 120, 3 * DAY),
}
DESCRIPTIONS = {
    "Протечка": ["Течёт с потолка в ванной, соседи сверху не открывают.",
                 "Капает из-под раковины на кухне, подставили таз.",
                 "Мокрое пятно на стене в туалете, растёт второй день."],
    "Засор канализации": ["Не уходит вода в ванной и на кухне.", "Засор в унитазе, вантуз не помогает.",
                          "Запах канализации в подъезде, в подвале вода."],
    "Нет горячей воды": ["Со вчерашнего вечера нет горячей воды, объявления не было.",
                         "Горячая вода еле тёплая уже неделю."],
    "Нет холодной воды": ["Нет холодной воды во всём стояке.", "Очень слабый напор холодной воды."],
    "Замена смесителя или крана": ["Сорвало кран на стояке, перекрыли воду в квартире.",
                                   "Не перекрывается вентиль на отводе к счётчику."],
    "Нет света в квартире": ["Пропал свет в квартире, у соседей есть.", "Выбивает автомат в щитке на площадке."],
    "Не горит свет в подъезде": ["Не горит свет на 3-м и 4-м этажах.", "Темно у входа в подъезд, лампа не горит.",
                                 "Не работает освещение на лестнице с 1 по 5 этаж."],
    "Искрит розетка или щиток": ["Искрит и гудит щиток на площадке.", "Щёлкает и греется распределительный щиток."],
    "Замена автомата": ["Автомат в этажном щитке не держит нагрузку."],
    "Лифт не работает": ["Лифт стоит с утра, на табло ошибка.", "Лифт не приезжает на вызов.",
                         "Не закрываются двери лифта на первом этаже."],
    "Застревание в лифте": ["Лифт застрял между 6 и 7 этажом, внутри никого, но он не едет."],
    "Не работает кнопка вызова": ["Кнопка вызова на 8 этаже не нажимается.", "Выломана кнопка вызова на 2 этаже."],
    "Холодные батареи": ["Батареи в комнате еле тёплые, в квартире +17.", "Холодный полотенцесушитель."],
    "Течь радиатора": ["Подтекает батарея на стыке секций.", "Капает из-под крана на радиаторе."],
    "Завоздушен стояк": ["Стояк в угловой комнате холодный, шумит вода.", "Батарея холодная сверху, тёплая снизу."],
    "Уборка подъезда": ["В подъезде не моют полы две недели.", "Грязь и мусор на лестнице после ремонта соседей."],
    "Вывоз мусора": ["Контейнеры переполнены, мусор вокруг площадки.", "Не вывезли крупногабаритный мусор."],
    "Снег и наледь": ["Наледь на крыльце, скользко.", "Не почищен снег у подъезда и на тротуаре.",
                      "Сосульки над входом в подъезд."],
    "Домофон": ["Не работает домофон, дверь не открывается ключом.", "Трубка домофона не звонит."],
    "Двери и окна в подъезде": ["Разбито окно между 4 и 5 этажом.", "Не закрывается входная дверь подъезда."],
    "Другое": ["Прошу проверить показания общедомового счётчика.", "Шумят трубы по ночам.",
               "На детской площадке сломаны качели."],
}
COMMENTS = [
    "Мастер придёт завтра с 10 до 12.", "Позвонили жителю, договорились о времени.",
    "Нужна запчасть, ждём поставку.", "Доступ в подвал согласован.", "Работы выполнены, житель доволен.",
    "Повторная заявка от соседей по тому же стояку.",
]
EXECUTORS = [
    ("Кузнецов Виктор Петрович", "Сантехник"), ("Мельников Сергей Олегович", "Сантехник"),
    ("Зайцев Игорь Анатольевич", "Слесарь-сантехник"), ("Волков Андрей Николаевич", "Электрик"),
    ("Лебедев Павел Юрьевич", "Электрик"), ("Гусев Олег Викторович", "Лифтёр"),
    ("Тихонов Денис Сергеевич", "Механик по лифтам"), ("Сидорова Галина Ивановна", "Уборщица"),
    ("Рахимов Фарид Ильдарович", "Дворник"), ("Прохоров Николай Васильевич", "Мастер участка"),
    ("Белова Ирина Алексеевна", "Инженер"), ("Шубин Роман Геннадьевич", "Разнорабочий"),
]
# Which positions can take requests of a category.
CATEGORY_POSITIONS = {
    "Сантехника": ("Сантехник", "Слесарь-сантехник"), "Электрика": ("Электрик",),
    "Лифт": ("Лифтёр", "Механик по лифтам"), "Отопление": ("Слесарь-сантехник", "Сантехник", "Инженер"),
    "Уборка": ("Уборщица", "Дворник"), "Прочее": ("Мастер участка", "Разнорабочий", "Инженер"),
}
DISPATCHERS = [("demo.smirnova", "Смирнова Елена Викторовна"), ("demo.orlov", "Орлов Дмитрий Андреевич")]

# The path through the statuses that ends in each status.
PATHS = {
    Status.NEW: [],
    Status.ASSIGNED: ["assign"],
    Status.IN_PROGRESS: ["assign", Status.IN_PROGRESS],
    Status.DONE: ["assign", Status.IN_PROGRESS, Status.DONE],
    Status.CLOSED: ["assign", Status.IN_PROGRESS, Status.DONE, Status.CLOSED],
    Status.ARCHIVED: ["assign", Status.IN_PROGRESS, Status.DONE, Status.CLOSED, Status.ARCHIVED],
}


def person(rng: random.Random) -> str:
    """A Russian full name: Фамилия Имя Отчество, grammatical gender agreed."""
    last, root = rng.choice(LAST_NAMES), rng.choice(PATRONYMIC_ROOTS)
    if rng.random() < 0.55:
        return f"{last}а {rng.choice(FEMALE_FIRST_NAMES)} {root}на"
    return f"{last} {rng.choice(MALE_FIRST_NAMES)} {root}ич"


def mobile(rng: random.Random) -> str:
    return f"+79{rng.choice(['02', '12', '17', '27', '37', '61', '63', '77', '85', '96'])}{rng.randrange(10**7):07d}"


def is_empty() -> bool:
    """No reference data and no requests yet (staff users do not count)."""
    for model in (Client, Category, Executor, Request):
        if db.session.execute(select(func.count()).select_from(model)).scalar_one():
            return False
    return True


def seed(*, clients: int = 300, requests: int = 400, days: int = 150, rng_seed: int = 2024) -> dict:
    """Fill the database (the caller commits); returns what was created."""
    rng = random.Random(rng_seed)
    residents = random.Random(rng_seed + 1)  # their answers: apart, so the rest stays as it always was
    now = utcnow()
    client_objs = [Client(**row) for row in client_rows(rng, clients)]
    db.session.add_all(client_objs)
    categories = add_categories()
    executors = add_executors(rng)
    dispatchers = _dispatchers()
    db.session.flush()

    times = sorted(now - timedelta(days=days) + timedelta(seconds=rng.randrange(days * 86400 - 7200))
                   for _ in range(requests))
    # The newest ones are caught at each stage of the work, so that the journal shows every status.
    pins = [None] * max(requests - len(PINNED), 0) + PINNED[-requests:] if requests else []
    earliest = now - timedelta(days=days)
    for when, pin in zip(times, pins):
        earliest = _request(rng, residents, max(when, earliest), pin, now, client_objs, categories, executors,
                            dispatchers, earliest)
    db.session.flush()
    request_stats.rebuild(db.session.connection(), local_tz())  # the requests were backdated after filing
    return {"clients": len(client_objs), "categories": len(categories), "executors": len(executors),
            "requests": requests}


def client_rows(rng: random.Random, count: int) -> list[dict]:
    """`count` clients' fields (Client columns): people in the flats of houses on STREETS."""
    # Two houses a street for a small company; a big one gets more, so that every client still
    # has a flat (60 is below the mean of FLATS_PER_HOUSE).
    per_street = max(2, math.ceil(count / (len(STREETS) * 60)))
    buildings = [(street, str(number), rng.choice(HOUSE_LETTERS), rng.choice(FLATS_PER_HOUSE))
                 for street in STREETS for number in rng.sample(range(1, max(121, per_street + 1)), per_street)]
    flats = [(b, flat) for b in buildings for flat in range(1, b[3] + 1)]
    # Several accounts in one flat happen (communal flats), but only once the houses are full.
    chosen = rng.sample(flats, count) if count <= len(flats) else [rng.choice(flats) for _ in range(count)]
    accounts = rng.sample(range(100_000_000, 1_000_000_000), count)
    rows = []
    for i, (((street, house, letter, _), flat), account) in enumerate(zip(chosen, accounts)):
        rows.append({
            "account": str(account), "full_name": person(rng), "city": CITY, "street": street, "house": house,
            "house_letter": letter, "apartment": str(flat), "phone": mobile(rng) if rng.random() < 0.9 else "",
            "contract_number": f"Д-{2015 + i % 9}/{i + 1:05d}",
        })
    return rows


def add_categories() -> list[Category]:
    """CATEGORIES with their subcategories, in that order, with their NORMS."""
    result = []
    for order, (name, subs) in enumerate(CATEGORIES.items(), start=1):
        category = Category(name=name, sort_order=order)
        category.subcategories = [Subcategory(name=sub, sort_order=i) for i, sub in enumerate(subs, start=1)]
        for item in (category, *category.subcategories):
            if item.name in NORMS:
                item.emergency, item.reaction_minutes, item.completion_minutes = NORMS[item.name]
        result.append(category)
    db.session.add_all(result)
    return result


def add_executors(rng: random.Random) -> list[Executor]:
    """EXECUTORS; the last has left (history keeps him, new requests cannot)."""
    executors = [Executor(full_name=name, position=position, phone=mobile(rng)) for name, position in EXECUTORS]
    executors[-1].active = False
    db.session.add_all(executors)
    return executors


def _dispatchers():
    """Demo dispatchers for the history; inactive with a random password, so nobody can log in."""
    users = []
    for login, full_name in DISPATCHERS:
        user = db.session.execute(select(StaffUser).where(StaffUser.login == login)).scalar_one_or_none()
        if user is None:
            user = StaffUser(login=login, full_name=full_name, role=ROLE_OPERATOR, active=False)
            user.set_password(secrets.token_urlsafe(24))
            db.session.add(user)
        users.append(user)
    return users


# A working office: most reactions and completions well within their norms, a few late.
ON_TIME = 0.94
STAGES = [Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.DONE, Status.CLOSED, Status.ARCHIVED]
LATE = "late"  # a new request nobody has reacted to in time
# The stages the newest requests are caught at, oldest first: every status shows, one row is late.
PINNED = [Status.DONE, Status.IN_PROGRESS, Status.ASSIGNED, LATE, Status.NEW]


def _timeline(rng, norm: deadlines.Norm, duplicate: bool, late: bool) -> list[float]:
    """Minutes from filing to each step of the request's whole life, in STAGES order after «новая»
    (a duplicate is closed at once, without work; `late`: the reaction comes late)."""
    def within(minutes, low, high):
        return minutes * (rng.uniform(low, high) if rng.random() < ON_TIME else rng.uniform(1.05, 2.0))
    reaction = (norm.reaction or 120) * rng.uniform(1.6, 2.0) if late else within(norm.reaction or 120, 0.1, 0.9)
    if duplicate:
        return [reaction]
    done = max(within(norm.completion or 3 * DAY, 0.2, 0.95), reaction + rng.uniform(5, 30))
    started = reaction + (done - reaction) * rng.uniform(0.05, 0.6)
    closed = done + rng.uniform(60, 3 * DAY)  # the resident confirms, or a dispatcher closes it
    archived = closed + rng.uniform(14 * DAY, 60 * DAY)
    return [reaction, started, done, closed, archived]


def _request(rng, residents, when, pin, now, clients, categories, executors, dispatchers, earliest):
    """File one request at `when` and take it as far as its work has got by `now` (`pin`: catch it at
    that stage, filed no earlier than `earliest`); returns its filing time."""
    client = rng.choice(clients)
    category = rng.choices(categories, CATEGORY_WEIGHTS)[0]
    sub = rng.choice(category.subcategories)
    by_phone = rng.random() < 0.3
    dispatcher = rng.choice(dispatchers)
    duplicate = rng.random() < 0.03 and pin is None
    norm = deadlines.norm_of(category, sub)
    steps = _timeline(rng, norm, duplicate, late=pin == LATE)
    if rng.random() < 0.4:  # the rest stay «закрыта»
        steps = steps[:4]
    age = (now - when).total_seconds() / 60
    if pin == LATE:  # past its reaction deadline
        age = (norm.reaction or 120) * rng.uniform(1.1, 1.5)
    elif pin is not None:  # now somewhere inside that stage
        stage = STAGES.index(pin)
        start, end = ([0.0] + steps)[stage], steps[stage]
        age = start + (end - start) * rng.uniform(0.2, 0.8)
        room = 0.9 * (now - earliest).total_seconds() / 60
        if age > room:  # filed after the one before it: the same work, done quicker
            steps, age = [minutes * room / age for minutes in steps], room
    if pin is not None:
        when = max(now - timedelta(minutes=age), earliest)
        age = (now - when).total_seconds() / 60
    reached = [minutes for minutes in steps if minutes <= age]
    target = ([Status.NEW, Status.CLOSED] if duplicate else STAGES)[len(reached)]
    request = request_service.create_request(
        client=client, category=category, subcategory=sub,
        description=rng.choice(DESCRIPTIONS[sub.name]), contact_phone=client.phone or mobile(rng),
        actor=dispatcher if by_phone else None, source="phone" if by_phone else "telegram",
    )
    suitable = [e for e in executors if e.active and e.position in CATEGORY_POSITIONS[category.name]]
    path = [Status.CLOSED] if duplicate and reached else PATHS[target]
    for step in path:
        if step == "assign":
            request_service.assign_executor(request, rng.choice(suitable), dispatcher)
        else:
            comment = rng.choice(COMMENTS) if rng.random() < 0.25 else ""
            if path == [Status.CLOSED]:
                comment = "Дубликат: по этому адресу уже есть заявка."
            resident_closes = step == Status.CLOSED and request.status == Status.DONE and not by_phone
            if resident_closes and residents.random() < 0.7:
                _resident_confirms(residents, request)
            else:
                request_service.change_status(request, step.value, dispatcher, comment)
        if rng.random() < 0.1:
            request_service.add_comment(request, dispatcher, rng.choice(COMMENTS))
    db.session.flush()
    _backdate(request, when, [when + timedelta(minutes=minutes) for minutes in reached])
    return when


def _resident_confirms(rng, request) -> None:
    """The resident answered «Да» to «Проблема решена?» and rated the work, as the bot records it."""
    request_service.change_status(request, Status.CLOSED.value, None, request_service.CONFIRMED_COMMENT,
                                  verdict=Verdict.CONFIRMED.value, notify=False)
    request_service.rate(request, rng.choices((5, 4, 3, 2, 1), weights=(55, 25, 10, 6, 4))[0])


def _backdate(request, when, moments):
    """Give the request's history its filing time and the moments of its steps (`moments`, one per
    status move); its deadlines are counted again from that time, met or missed as its moves happened.
    An executor's assignment shares its move's moment; a comment or a rating takes the one before it."""
    events = db.session.execute(
        select(RequestEvent).where(RequestEvent.request_id == request.id).order_by(RequestEvent.id)
    ).scalars().all()
    request.created_at = moment = when
    request.reacted_at = request.completed_at = None
    deadlines.apply_norm(request, deadlines.norm_of(request.category, request.subcategory))
    steps = iter(moments)
    previous = None
    for event in events:
        if event.kind == "executor" or (event.kind == "status" and previous != "executor"):
            moment = next(steps)
        event.created_at = moment
        previous = event.kind
        if event.kind == "status":
            target = Status(event.to_status)
            field = TIMESTAMP_FIELD.get(target)
            if field:
                setattr(request, field, moment)
            deadlines.record_move(request, target, moment)
    request.updated_at = moment
