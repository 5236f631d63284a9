"""Announcements end to end: staff compose and send through the web pages, the real worker
delivers through the local Bot API: audience by house, one message per chat, the opt-out,
a photo uploaded once, request messages first, 429 pauses, a blocked bot, stopping midway,
and a worker restarted (cleanly, or killed) in the middle of sending."""
import io
import itertools
import re
from collections import Counter

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Category, Client, Executor, Notification, StaffUser, TelegramBinding
from app.services.messaging import announcements
from app.services.requests import lifecycle as request_service
from devtools.local_api import Resident
from tests.announcements.data import png
from tests.bot.conftest import make_world, running
from tests.conftest import OPERATOR_PASSWORD, StaffClient, _staff

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]

RATE = 5  # messages a second: slow enough to stop or restart the worker midway
_chat_ids = itertools.count(6_000_001)
_streets = itertools.count(1)


@pytest.fixture(scope="module")
def notice_world(tmp_path_factory, sqlite_template):
    world = make_world(tmp_path_factory, sqlite_template, NOTIFY_RATE=RATE)
    with world.app.app_context():
        db.session.add(_staff("operator", OPERATOR_PASSWORD, "operator", "Олег Оператор"))
        db.session.commit()
    world.worker.start()
    yield world
    world.close()


@pytest.fixture
def world(notice_world):
    yield from running(notice_world)


@pytest.fixture
def operator(world):
    return StaffClient.signed_in(world.app, "operator")


def street_of_residents(world, count: int) -> tuple[str, list[Resident]]:
    """A new street in Самара, house 1, with `count` residents bound to the bot (one flat each)."""
    street = f"ул. Тестовая-{next(_streets)}"
    residents = []
    with world.app.app_context():
        for flat in range(1, count + 1):
            chat_id = next(_chat_ids)
            client = Client(account=str(chat_id), full_name=f"Жилец {chat_id}", city="Самара", street=street,
                            house="1", house_letter="", apartment=str(flat))
            db.session.add(client)
            db.session.flush()
            db.session.add(TelegramBinding(client_id=client.id, telegram_user_id=chat_id, chat_id=chat_id,
                                           phone="+79120000000"))
            residents.append(Resident(world.api, chat_id))
        db.session.commit()
    return street, residents


def announce(operator, text: str, photo: bytes | None = None, **audience) -> tuple[int, int]:
    """Compose and send through the pages, as a dispatcher does; returns (notice id, recipients)."""
    data = {"scope": "address", "city": "Самара", "text": text, **audience}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), "notice.png")
    response = operator.post("/announcements/new", data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    url = response.headers["Location"]
    count = int(re.search(r'name="recipients" value="(\d+)"', operator.page(url)).group(1))
    assert "поставлено в очередь" in operator.page(operator.post(url + "/send", {"recipients": count})
                                                   .headers["Location"])
    return int(url.rsplit("/", 1)[1]), count


def report(world, notice_id: int) -> announcements.Report:
    with world.app.app_context():
        return announcements.reports([notice_id])[notice_id]


def received(world, residents, text: str) -> Counter:
    """How many messages with `text` each resident's chat has (photo captions included)."""
    return Counter({r.chat_id: sum(text in m.text for m in world.api.messages(r.chat_id)) for r in residents})


def assign_a_request(world, account: str, resident: Resident) -> int:
    """A dispatcher assigns an executor to the resident's request: its status notification is queued."""
    with world.app.app_context():
        client = db.session.execute(select(Client).where(Client.account == account)).scalar_one()
        req = request_service.create_request(
            client=client, category=db.session.execute(select(Category)).scalars().first(), subcategory=None,
            description="Течёт кран", contact_phone="+79123456789",
            author_telegram_id=resident.user_id, author_chat_id=resident.chat_id)
        request_service.assign_executor(req, db.session.execute(select(Executor)).scalars().first(),
                                        db.session.execute(select(StaffUser)).scalars().first())
        db.session.commit()
        return req.number


def all_finished(world, notice_id: int, timeout: float = 60) -> bool:
    return world.api.wait_until(lambda: report(world, notice_id).pending == 0 and report(world, notice_id).total,
                                timeout, check_every=0.2)


def test_by_house_once_per_chat_without_those_who_switched_off(world, operator):
    same_house = [world.identified("100002"), world.identified("100004")]  # ул. Садовая, 17
    other_house = world.identified("100001")                                 # ул. Ленина, 5А
    switched_off = world.identified("100002")
    switched_off.send("Настройки")
    switched_off.expect("вы получаете")
    switched_off.press("Объявления: не получать")
    with world.app.app_context():  # a resident holding two flats of the house: one message all the same
        holder = db.session.execute(select(TelegramBinding).where(
            TelegramBinding.telegram_user_id == same_house[0].user_id)).scalar_one()
        db.session.add(TelegramBinding(client_id=db.session.execute(select(Client.id).where(
            Client.account == "100004")).scalar_one(), telegram_user_id=holder.telegram_user_id,
            chat_id=holder.chat_id, phone="+79123456789"))
        db.session.commit()

    text = "Плановое отключение холодной воды в доме 17 — 12 марта с 9:00 до 18:00."
    notice_id, count = announce(operator, text, street="ул. Садовая", houses=["17"])
    for r in same_house:
        assert r.wait_for("Плановое отключение").text == text
    assert all_finished(world, notice_id)
    everyone = [*same_house, other_house, switched_off]
    counts = received(world, everyone, "Плановое отключение")
    assert [counts[r.chat_id] for r in everyone] == [1, 1, 0, 0]
    assert count == 2
    done = report(world, notice_id)
    assert (done.delivered, done.total, done.blocked, done.failed_total) == (2, 2, 0, 0)

    # Announcements are switched off, not request messages: a status change still reaches them.
    number = assign_a_request(world, "100002", switched_off)
    switched_off.wait_for(f"Статус вашей заявки № {number} изменён: назначена исполнителю.")


def test_a_photo_notice_is_uploaded_once_then_sent_by_its_file_id(world, operator):
    street, residents = street_of_residents(world, 3)
    uploads_before = len(world.api.files)
    notice_id, count = announce(operator, "Схема перекрытия улицы на время ремонта", photo=png(40, 30),
                                street=street)
    assert count == 3 and all_finished(world, notice_id)
    messages = [world.api.messages(r.chat_id) for r in residents]
    assert all(len(m) == 1 and m[0].text == "Схема перекрытия улицы на время ремонта" for m in messages)
    assert len({m[0].photo for m in messages}) == 1 and len(world.api.files) == uploads_before + 1
    assert world.api.file_bytes(messages[0][0].photo) == png(40, 30)


def test_request_messages_go_out_while_a_big_notice_waits(world, operator):
    street, residents = street_of_residents(world, 30)  # 6 seconds of sending at 5 a second
    resident = world.identified("100003")
    notice_id, _ = announce(operator, "Отключение электроэнергии по всей улице", street=street)
    assert residents[0].wait_for("Отключение электроэнергии")  # the notice is on its way
    number = assign_a_request(world, "100003", resident)
    resident.wait_for(f"Статус вашей заявки № {number} изменён")
    waiting = report(world, notice_id).pending
    assert waiting > 0, "the request message should not have waited for the whole notice"
    assert all_finished(world, notice_id)
    assert set(received(world, residents, "Отключение электроэнергии").values()) == {1}


def test_telegram_429_pauses_sending_and_every_resident_gets_the_notice_once(world, operator):
    street, residents = street_of_residents(world, 12)
    world.api.inject("sendMessage", "429", times=2, retry_after=1)
    notice_id, count = announce(operator, "Аварийное отключение отопления", street=street)
    assert all_finished(world, notice_id)
    assert set(received(world, residents, "Аварийное отключение отопления").values()) == {1}
    done = report(world, notice_id)
    assert (done.delivered, done.total) == (12, 12)
    assert "Telegram asks to slow down for 1 s" in world.worker.log()


def test_a_resident_who_blocked_the_bot_is_in_the_report(world, operator):
    street, residents = street_of_residents(world, 4)
    world.api.block(residents[1].chat_id)
    notice_id, _ = announce(operator, "Промывка системы отопления", street=street)
    assert all_finished(world, notice_id)
    done = report(world, notice_id)
    assert (done.delivered, done.blocked, done.failed_total) == (3, 1, 0)
    html = operator.page(f"/announcements/{notice_id}")
    assert re.search(r'id="delivered">3<', html) and re.search(r'id="blocked">1<', html)
    assert received(world, residents, "Промывка")[residents[1].chat_id] == 0
    # By name, ЛС and address, so the office can phone them.
    blocked = residents[1].chat_id
    assert 'id="unreached-count">1<' in html
    assert (f"<tr><td>Жилец {blocked}</td><td>{blocked}</td><td>г. Самара, {street}, д. 1, кв. 2</td>" in html
            and "<td>житель заблокировал бота</td>" in html)


def test_stopping_midway_sends_nothing_more(world, operator):
    street, residents = street_of_residents(world, 30)
    notice_id, _ = announce(operator, "Плановые работы на водопроводе", street=street)
    residents[2].wait_for("Плановые работы")
    response = operator.post(f"/announcements/{notice_id}/cancel")
    told = re.search(r"Отправка остановлена: (\d+) сообщени", operator.page(response.headers["Location"]))
    assert told

    def delivered_chats() -> set[int]:
        with world.app.app_context():
            return set(db.session.execute(select(Notification.chat_id).where(
                Notification.announcement_id == notice_id, Notification.status == "sent")).scalars())

    def reached() -> set[int]:
        return {chat for chat, n in received(world, residents, "Плановые работы").items() if n}
    # A message already handed to Telegram at that moment still arrives and is counted as delivered.
    assert world.api.wait_until(lambda: reached() == delivered_chats(), 10)
    done = report(world, notice_id)
    assert done.cancelled > 0 and done.delivered + done.cancelled == 30 and done.pending == 0
    assert done.cancelled == int(told.group(1))  # what staff were told will not go, did not go
    assert max(received(world, residents, "Плановые работы").values()) == 1


@pytest.mark.parametrize("how", ["restart", "kill"])
def test_a_worker_restarted_midway_neither_loses_nor_repeats(world, operator, how):
    street, residents = street_of_residents(world, 25)
    notice_id, _ = announce(operator, f"Отключение газа ({how})", street=street)
    residents[4].wait_for("Отключение газа")
    if how == "restart":
        assert world.worker.stop() == 0  # SIGTERM: messages in flight are recorded before it exits
    else:
        world.worker.kill()  # SIGKILL: nothing recorded after the last commit
    waiting = report(world, notice_id).pending
    assert 0 < waiting < 25
    world.worker.start()
    assert all_finished(world, notice_id)
    counts = received(world, residents, "Отключение газа")
    assert min(counts.values()) == 1  # nothing lost
    repeated = sum(n - 1 for n in counts.values())
    if how == "restart":
        assert repeated == 0
    else:  # only a message Telegram took but the killed worker had not yet recorded can go twice
        assert repeated <= 4  # SEND_THREADS
    assert report(world, notice_id).delivered == 25
