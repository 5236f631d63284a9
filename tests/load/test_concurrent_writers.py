"""Concurrent writers on one SQLite file: dispatchers move statuses while the bot files requests.

The staff web app runs under waitress (several threads); dispatchers post the request
page's forms over HTTP with CSRF tokens, as a browser does, picking requests at random
(two of them sometimes on the same one). Meanwhile the real worker process files requests
for many residents, and its outbox sends the status notifications. After a bounded time:
- no 5xx from the web app; no apology or "service unavailable" in any chat; no ERROR and
  no "database is locked" in the worker log;
- every request number a resident was told belongs to exactly one request, theirs;
- status events in the history == the status changes the dispatchers saw succeed, and
  each request's history is an unbroken chain (each change starts where the last ended);
- outbox rows == those status changes (every request here came from Telegram).
"""
import random
import re
import threading
import time
from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Executor, Notification, ProcessedUpdate, Request, RequestEvent
from app.services.requests import lifecycle as request_service
from tests.bot.test_requests import number_in
from tests.load.conftest import (WebServer, add_clients, add_staff, bad_replies, csrf_of, log_problems,
                                 reply)

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]

SECONDS = 10
RESIDENTS = 16
DISPATCHERS = 3
EARLIER_REQUESTS = 12  # filed through Telegram before the test: dispatchers start on them
EARLIER_CHAT = 7_000_000
NO_EXECUTOR = re.compile(r"<dt>Исполнитель</dt>\s*<dd>\s*<span[^>]*>не назначен")


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.changes: Counter = Counter()  # request id -> status changes seen done
        self.refused = 0  # 409: a colleague was faster, or the move needs an executor first
        self.numbers: dict[int, list[int]] = defaultdict(list)  # resident -> request numbers told
        self.problems: list[str] = []

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text[:500])


def resident_loop(world, account: str, deadline: float, tally: Tally, residents: list) -> None:
    try:
        r = world.identified(account, f"+7912{account[-6:]}0")
        residents.append(r)
        k = 0
        while k == 0 or time.monotonic() < deadline:  # at least one request each, however slow the machine
            k += 1
            r.send("Создать заявку")
            reply(r, "Выберите категорию")
            r.press("Сантехника")
            r.press("Протечка")
            reply(r, "Опишите проблему")
            r.send(f"Течёт кран, заявка {k}")
            reply(r, "Записал")
            r.send("Готово")
            reply(r, "Описание принято")
            reply(r, "Проверьте заявку")
            r.press("Да, это мой номер")
            number = number_in(reply(r, "Заявка №").text)
            with tally.lock:
                tally.numbers[r.user_id].append(number)
    except Exception as exc:  # noqa: BLE001 - reported by the test
        tally.problem(f"resident {account}: {exc}")


def dispatcher_loop(web: WebServer, login: str, deadline: float, tally: Tally, executor_id: int,
                    seed: int) -> None:
    rng = random.Random(seed)
    try:
        s = web.session(login)
        while time.monotonic() < deadline:
            with web.app.app_context():
                ids = db.session.execute(select(Request.id)).scalars().all()
                db.session.remove()
            request_id = rng.choice(ids)
            page = s.get(f"{web.url}/requests/{request_id}", timeout=60)
            if page.status_code != 200:
                tally.problem(f"{login}: GET /requests/{request_id} -> {page.status_code}")
                continue
            current = re.search(r'name="current" value="([a-z_]+)"', page.text).group(1)
            if current == "new" and NO_EXECUTOR.search(page.text):
                answer = s.post(f"{web.url}/requests/{request_id}/executor", timeout=60, data={
                    "csrf_token": csrf_of(page.text), "executor": str(executor_id), "executor_comment": ""})
                changed = answer.status_code == 200 and "Заявка назначена исполнителю." in answer.text
                bad = answer.status_code >= 400 and answer.status_code != 409
            else:
                targets = [t for t in re.findall(r'name="status" value="([a-z_]+)"', page.text)
                           if t != "archived"]  # archived is final: keep requests moving
                answer = s.post(f"{web.url}/requests/{request_id}/status", allow_redirects=False, timeout=60,
                                data={"csrf_token": csrf_of(page.text), "current": current,
                                      "status": rng.choice(targets), "status_comment": ""})
                changed = answer.status_code == 303
                bad = answer.status_code not in (303, 409)
            with tally.lock:
                if changed:
                    tally.changes[request_id] += 1
                elif answer.status_code == 409:
                    tally.refused += 1
            if bad:
                tally.problem(f"{login}: POST on request {request_id} -> {answer.status_code}: "
                              + re.sub(r"\s+", " ", answer.text)[:300])
    except Exception as exc:  # noqa: BLE001 - reported by the test
        tally.problem(f"{login}: {type(exc).__name__}: {exc}")


def file_earlier_requests(app) -> int:
    """Requests residents filed through Telegram before the test (dispatchers start on these)."""
    from app.models import Category, Client
    with app.app_context():
        client = db.session.execute(select(Client).order_by(Client.id)).scalars().first()
        category = db.session.execute(select(Category).order_by(Category.id)).scalars().first()
        for i in range(EARLIER_REQUESTS):
            request_service.create_request(
                client=client, category=category, subcategory=None, description=f"Заявка {i}",
                contact_phone="+79120000000", author_telegram_id=EARLIER_CHAT + i,
                author_chat_id=EARLIER_CHAT + i)
        db.session.commit()
        return db.session.execute(select(Executor.id)).scalars().first()


def status_chains_broken(app) -> list[str]:
    """Requests whose history does not read new -> ... -> their current status, change by change."""
    broken = []
    with app.app_context():
        events = defaultdict(list)
        for event in db.session.execute(select(RequestEvent).where(RequestEvent.kind == "status")
                                        .order_by(RequestEvent.id)).scalars():
            events[event.request_id].append((event.from_status, event.to_status))
        for request in db.session.execute(select(Request)).scalars():
            status = "new"
            for from_status, to_status in events[request.id]:
                if from_status != status:
                    broken.append(f"request {request.id}: {from_status}->{to_status} after {status}")
                status = to_status
            if status != request.status:
                broken.append(f"request {request.id}: history ends at {status}, request is {request.status}")
    return broken


def test_web_dispatchers_and_bot_write_at_once_without_locks_or_lost_rows(worlds, tmp_path):
    world = worlds.sqlite()
    accounts = add_clients(world.app, RESIDENTS)
    logins = [f"disp{i}" for i in range(DISPATCHERS)]
    add_staff(world.app, *logins)
    executor_id = file_earlier_requests(world.app)
    world.worker.start()
    web = WebServer(tmp_path / "web", world.app.config["SQLALCHEMY_DATABASE_URI"], threads=4)
    tally, residents = Tally(), []
    try:
        deadline = time.monotonic() + SECONDS
        threads = [threading.Thread(target=resident_loop, args=(world, account, deadline, tally, residents))
                   for account in accounts]
        threads += [threading.Thread(target=dispatcher_loop, args=(web, login, deadline, tally, executor_id, i))
                    for i, login in enumerate(logins)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 120)
        assert not any(thread.is_alive() for thread in threads), "a writer is stuck"
    finally:
        web.close()

    assert tally.problems == []
    assert bad_replies(world, [r.chat_id for r in residents]) == []
    assert log_problems(world) == []
    told = [n for numbers in tally.numbers.values() for n in numbers]
    changes = sum(tally.changes.values())
    assert len(told) >= RESIDENTS and changes >= DISPATCHERS  # everybody got work done
    with world.app.app_context():
        by_number = defaultdict(list)
        for number, author in db.session.execute(select(Request.number, Request.author_telegram_id)):
            by_number[number].append(author)
        for user_id, numbers in tally.numbers.items():
            assert all(by_number[n] == [user_id] for n in numbers), user_id
            assert sum(1 for authors in by_number.values() if authors == [user_id]) == len(numbers)
        assert len(by_number) == sum(len(a) for a in by_number.values()) == EARLIER_REQUESTS + len(told)
        status_events = db.session.execute(select(func.count()).select_from(RequestEvent)
                                           .where(RequestEvent.kind == "status")).scalar_one()
        outbox_rows = db.session.execute(select(func.count()).select_from(Notification)
                                         .where(Notification.request_id.is_not(None))).scalar_one()
        processed = db.session.execute(select(func.count()).select_from(ProcessedUpdate)).scalar_one()
    assert status_events == changes
    assert outbox_rows == changes
    assert status_chains_broken(world.app) == []
    assert processed == next(world.api._update_ids) - 1  # every update the residents sent, once
    print(f"\n{len(told)} requests filed by {RESIDENTS} residents, {changes} status changes "
          f"({tally.refused} refused with 409) in {SECONDS} s")
