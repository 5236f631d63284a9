"""The worker's heartbeat, which the web app turns into a warning for staff (services.bot_health)."""
import time
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import BotStatus
from tests.bot.conftest import make_world

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]


def status(world):
    with world.app.app_context():
        row = db.session.get(BotStatus, 1)
        db.session.remove()
        return row


def wait_for(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def world(tmp_path_factory, sqlite_template):
    world = make_world(tmp_path_factory, sqlite_template, BOT_HEARTBEAT_SECONDS=1)
    yield world
    world.close()


def test_heartbeat_tells_a_silent_telegram_from_a_stopped_worker(world):
    assert status(world) is None
    world.worker.start()
    first = wait_for(lambda: (s := status(world)) and s.telegram_ok_at and s)
    assert first.username == "uk_local_bot"

    # Telegram stops answering: the worker still beats, but Telegram's last answer stays put.
    world.api.inject("getUpdates", "500", times=1000)
    frozen = wait_for(lambda: (s := status(world)) and s.beat_at - s.telegram_ok_at > timedelta(seconds=3) and s)
    later = wait_for(lambda: (s := status(world)) and s.beat_at > frozen.beat_at and s)
    assert later.telegram_ok_at == frozen.telegram_ok_at

    world.api.clear_faults()  # Telegram is back
    wait_for(lambda: status(world).telegram_ok_at > frozen.telegram_ok_at)

    assert world.worker.stop() == 0  # a stopped worker beats no more
    last = status(world).beat_at
    time.sleep(2.5)
    assert status(world).beat_at == last


def test_the_bots_username_is_recorded_as_soon_as_telegram_names_it(tmp_path_factory, sqlite_template):
    """Not at the next beat half a minute later: an executor's invitation link names the bot."""
    world = make_world(tmp_path_factory, sqlite_template, BOT_HEARTBEAT_SECONDS=3600)
    try:
        world.worker.start()
        assert wait_for(lambda: (s := status(world)) and s.username) == "uk_local_bot"
    finally:
        world.close()
