"""What monitoring polls (app/health.py): /healthz without a session, /metrics from listed addresses only."""
import os
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import make_url, text
from sqlalchemy.exc import SQLAlchemyError

from app import create_app
from app.extensions import db
from app.models import BotStatus, Notification, utcnow
from app.services.statistics import bot_metrics
from app.services.messaging import outbox
from tests import factories
from tests.conftest import base_config
from tests.tcp_proxy import TcpProxy

MONITOR = {"REMOTE_ADDR": "10.1.2.3"}


def beat(app, minutes_ago: float | None) -> None:
    with app.app_context():
        db.session.query(BotStatus).delete()
        if minutes_ago is not None:
            moment = utcnow() - timedelta(minutes=minutes_ago)
            db.session.add(BotStatus(id=1, username="uk_bot", beat_at=moment, telegram_ok_at=moment))
        db.session.commit()


def queue(app, minutes_ago: float, priority: int = outbox.URGENT, status: str = outbox.PENDING,
          failure: str = "") -> None:
    with app.app_context():
        db.session.add(Notification(chat_id=700, text="Заявка принята", priority=priority, status=status,
                                    failure=failure, created_at=utcnow() - timedelta(minutes=minutes_ago)))
        db.session.commit()


def health(client):
    response = client.get("/healthz")
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_json()


def samples(response) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) -> value, from the Prometheus text format."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for s in family.samples}


def test_healthz_answers_without_a_session_and_without_data(app, client):
    app.config["TELEGRAM_BOT_TOKEN"] = ""  # a company without a bot: no heartbeat is no problem
    code, body = health(client)
    assert code == 200
    assert body["status"] == "ok" and body["database"] == {"ok": True}
    assert body["migrations"]["ok"] and body["migrations"]["database"] == body["migrations"]["code"]
    assert body["bot"] == {"ok": True, "configured": False, "heartbeat_age_seconds": None,
                           "telegram_ok_age_seconds": None}
    assert body["outbox"]["oldest_pending_age_seconds"] is None
    assert "Set-Cookie" not in client.get("/healthz").headers  # no session was opened


def test_healthz_turns_503_when_the_worker_stops_beating(app, client):
    app.config["TELEGRAM_BOT_TOKEN"] = "123:abc"
    code, body = health(client)
    assert code == 503 and body["bot"]["ok"] is False and body["bot"]["heartbeat_age_seconds"] is None

    beat(app, minutes_ago=0.5)
    code, body = health(client)
    assert code == 200 and body["bot"]["ok"] is True
    assert 25 <= body["bot"]["heartbeat_age_seconds"] <= 120

    beat(app, minutes_ago=3)  # silent for longer than bot_health.STALE_AFTER
    code, body = health(client)
    assert code == 503 and body["status"] == "fail"
    assert body["bot"]["ok"] is False and body["bot"]["heartbeat_age_seconds"] >= 180
    assert body["database"]["ok"] and body["outbox"]["ok"]  # only the worker is the problem


@pytest.mark.app_config(OUTBOX_STUCK_SECONDS=600)
def test_healthz_reports_a_stuck_outbox_but_not_a_long_announcement(app, client):
    app.config["TELEGRAM_BOT_TOKEN"] = ""
    queue(app, minutes_ago=30, priority=outbox.BULK)  # an announcement to thousands takes its time
    queue(app, minutes_ago=5)
    code, body = health(client)
    assert code == 200, body
    assert body["outbox"]["oldest_pending_age_seconds"] >= 1800
    assert body["outbox"]["oldest_pending_age_seconds_by_priority"]["urgent"] < 600

    queue(app, minutes_ago=11, priority=outbox.ALERT)
    code, body = health(client)
    assert code == 503 and body["outbox"]["ok"] is False
    assert body["outbox"]["oldest_pending_age_seconds_by_priority"]["alert"] >= 660


def test_healthz_turns_503_when_migrations_are_behind_the_code(app, client):
    app.config["TELEGRAM_BOT_TOKEN"] = ""
    head = health(client)[1]["migrations"]["code"]
    set_revision(app, "0011")
    try:
        code, body = health(client)
    finally:
        set_revision(app, *head)  # PostgreSQL's test database is shared by the tests that follow
    assert code == 503
    assert body["migrations"] == {"ok": False, "database": ["0011"], "code": head}
    assert head != ["0011"]


@pytest.mark.sqlite_only  # it drops a table: not on the PostgreSQL database the tests share
def test_healthz_tells_a_database_never_migrated_from_one_that_is_down(app, client):
    with app.app_context():
        db.session.execute(text("DROP TABLE alembic_version"))
        db.session.commit()
    code, body = health(client)
    assert code == 503
    assert body["database"] == {"ok": True} and body["migrations"]["ok"] is False
    assert body["migrations"]["database"] == [] and body["migrations"]["code"]


def set_revision(app, revision: str) -> None:
    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
        db.session.commit()


def test_healthz_turns_503_when_the_database_goes_away(app, client, database_url, tmp_path):
    app.config["TELEGRAM_BOT_TOKEN"] = ""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert health(client)[0] == 200
        path = url.database  # the disk holding the file goes away (as in test_database_down.py)
        with app.app_context():
            db.engine.dispose()
        os.rename(path, path + ".away")
        os.mkdir(path)
        try:
            assert health(client) == (503, {"status": "fail", "database": {"ok": False}})
        finally:
            os.rmdir(path)
            os.rename(path + ".away", path)
        assert health(client)[0] == 200
        return
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    try:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        web = create_app(base_config(tmp_path / "proxied", proxied))
        probe = web.test_client()
        assert health(probe)[0] == 200, health(probe)
        proxy.cut()
        assert health(probe) == (503, {"status": "fail", "database": {"ok": False}})
        proxy.restore()
        assert health(probe)[0] == 200
        with web.app_context():
            db.engine.dispose()
    finally:
        proxy.close()


def test_metrics_are_refused_to_everyone_by_default(app, client):
    response = client.get("/metrics", environ_base=MONITOR)
    assert response.status_code == 403
    assert "METRICS_ALLOWED" in response.get_data(as_text=True)
    assert "zhkh_" not in response.get_data(as_text=True)


@pytest.mark.app_config(METRICS_ALLOWED="127.0.0.2, 10.0.0.0/8")
def test_metrics_are_served_to_listed_addresses_only(app, client):
    assert client.get("/metrics").status_code == 403  # the test client's 127.0.0.1 is not listed
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.168.0.5"}).status_code == 403
    # Nobody outside TRUSTED_PROXIES chooses their address with a header.
    assert client.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.2"}).status_code == 200
    found = samples(client.get("/metrics", environ_base=MONITOR))
    assert found[("zhkh_database_up", ())] == 1


@pytest.mark.app_config(METRICS_ALLOWED="10.0.0.0/8", TRUSTED_PROXIES="127.0.0.1")
def test_behind_a_trusted_proxy_the_forwarded_address_decides(app, client):
    assert client.get("/metrics", headers={"X-Forwarded-For": "10.9.9.9"}).status_code == 200
    assert client.get("/metrics", headers={"X-Forwarded-For": "192.168.1.1"}).status_code == 403
    assert client.get("/metrics").status_code == 403  # the proxy itself is not listed


def test_a_mistyped_metrics_address_stops_the_app_with_the_settings_name(tmp_path):
    config = base_config(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ValueError, match="METRICS_ALLOWED: '10.0.0.300'"):
        create_app({**config, "METRICS_ALLOWED": "10.0.0.300"})


@pytest.mark.app_config(METRICS_ALLOWED="10.0.0.0/8")
def test_metrics_count_requests_outbox_failures_and_the_bots_updates(app, client, ctx):
    requests = [ctx.request(description=f"Течёт {i}") for i in range(4)]
    requests[0].status = "in_progress"
    requests[3].status = "closed"
    requests[1].due_at = utcnow() - timedelta(hours=2)  # overdue now
    requests[2].due_at = utcnow() + timedelta(hours=2)
    db.session.commit()
    queue(app, minutes_ago=4)
    queue(app, minutes_ago=1)
    queue(app, minutes_ago=90, priority=outbox.BULK)
    queue(app, minutes_ago=60, status=outbox.FAILED, failure="blocked")
    queue(app, minutes_ago=60, status=outbox.SENT)
    times = bot_metrics.UpdateTimes()  # what the worker's update pool records and its heartbeat flushes
    for seconds in (0.004, 0.03, 0.2, 7.0):
        times.record(seconds)
    times.flush()

    found = samples(client.get("/metrics", environ_base=MONITOR))
    assert found[("zhkh_requests", (("status", "new"),))] == 2
    assert found[("zhkh_requests", (("status", "in_progress"),))] == 1
    assert found[("zhkh_requests", (("status", "done"),))] == 0
    assert ("zhkh_requests", (("status", "closed"),)) not in found  # history, not counted on each scrape
    assert found[("zhkh_requests_overdue", ())] == 1
    assert found[("zhkh_outbox_pending", (("priority", "urgent"),))] == 2
    assert found[("zhkh_outbox_pending", (("priority", "bulk"),))] == 1
    assert found[("zhkh_outbox_pending", (("priority", "reply"),))] == 0
    assert 240 <= found[("zhkh_outbox_oldest_pending_seconds", (("priority", "urgent"),))] < 600
    assert found[("zhkh_outbox_oldest_pending_seconds", (("priority", "bulk"),))] >= 5400
    assert found[("zhkh_outbox_failed", (("reason", "blocked"),))] == 1
    assert found[("zhkh_outbox_failed", (("reason", "chat_gone"),))] == 0
    assert found[("zhkh_bot_update_seconds_count", ())] == 4
    assert found[("zhkh_bot_update_seconds_sum", ())] == pytest.approx(7.234)
    assert found[("zhkh_bot_update_seconds_bucket", (("le", "0.01"),))] == 1
    assert found[("zhkh_bot_update_seconds_bucket", (("le", "0.25"),))] == 3
    assert found[("zhkh_bot_update_seconds_bucket", (("le", "5.0"),))] == 3
    assert found[("zhkh_bot_update_seconds_bucket", (("le", "+Inf"),))] == 4
    assert ("zhkh_bot_heartbeat_age_seconds", ()) not in found  # no worker has beaten yet

    beat(app, minutes_ago=1)
    times.record(0.02)
    times.flush()  # the counts only grow: each flush adds to what is stored
    found = samples(client.get("/metrics", environ_base=MONITOR))
    assert found[("zhkh_bot_update_seconds_count", ())] == 5
    assert 55 <= found[("zhkh_bot_heartbeat_age_seconds", ())] <= 180


@pytest.mark.app_config(METRICS_ALLOWED="10.0.0.0/8")
def test_metrics_time_the_journal_and_count_responses_by_code(app, client, operator):
    def figures():
        found = samples(client.get("/metrics", environ_base=MONITOR))
        return (found.get(("zhkh_journal_page_seconds_count", ()), 0),
                found.get(("zhkh_http_responses_total", (("code", "404"),)), 0))

    journal, missing = figures()
    assert operator.get("/").status_code == 200
    assert operator.get("/no-such-page").status_code == 404
    assert figures() == (journal + 1, missing + 1)


@pytest.mark.sqlite_only  # the outage itself is shown on both engines by the /healthz test above
@pytest.mark.app_config(METRICS_ALLOWED="10.0.0.0/8")
def test_metrics_say_the_database_is_down_instead_of_failing(app, client, database_url):
    path = make_url(database_url).database
    with app.app_context():
        db.engine.dispose()
    os.rename(path, path + ".away")
    os.mkdir(path)
    try:
        found = samples(client.get("/metrics", environ_base=MONITOR))
    finally:
        os.rmdir(path)
        os.rename(path + ".away", path)
    assert found[("zhkh_database_up", ())] == 0
    assert ("zhkh_requests_overdue", ()) not in found


@pytest.mark.sqlite_only  # it drops a table: not on the PostgreSQL database the tests share
def test_bot_figures_are_kept_when_the_flush_fails(app):
    times = bot_metrics.UpdateTimes()
    times.record(0.5)
    with app.app_context():
        db.session.execute(text("DROP TABLE counters"))  # the write fails...
        with pytest.raises(SQLAlchemyError):
            times.flush()
    assert times._pending[bot_metrics.COUNT] == 1  # ...and nothing observed is lost

