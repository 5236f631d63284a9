"""The worker's updates reach /metrics of any web process through the database (services.bot_metrics)."""
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.proxy import trusted_networks
from tests.bot.conftest import make_world
from tests.bot.test_heartbeat import status

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]


def handled(world) -> float:
    world.app.extensions["metrics_allowed"] = trusted_networks("127.0.0.1")  # as METRICS_ALLOWED=127.0.0.1
    response = world.app.test_client().get("/metrics")
    assert response.status_code == 200
    return next(s.value for f in text_string_to_metric_families(response.get_data(as_text=True))
                for s in f.samples if s.name == "zhkh_bot_update_seconds_count")


def wait_for(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def test_updates_handled_show_in_metrics_with_the_heartbeat(tmp_path_factory, sqlite_template):
    world = make_world(tmp_path_factory, sqlite_template, BOT_HEARTBEAT_SECONDS=1)
    try:
        assert handled(world) == 0
        world.worker.start()
        resident = world.resident()
        for _ in range(3):
            resident.send("/start")
            resident.expect("идентификацию")
        wait_for(lambda: handled(world) == 3)
    finally:
        world.close()


def test_a_stopping_worker_flushes_what_it_handled_since_the_last_beat(tmp_path_factory, sqlite_template):
    world = make_world(tmp_path_factory, sqlite_template, BOT_HEARTBEAT_SECONDS=3600)
    try:
        world.worker.start()
        # The beat that records the bot's username (right after Telegram answered) is the last one for an hour.
        wait_for(lambda: (s := status(world)) and s.username)
        resident = world.resident()
        resident.send("/start")
        resident.expect("идентификацию")
        assert handled(world) == 0
        assert world.worker.stop() == 0
        assert handled(world) == 1
    finally:
        world.close()
