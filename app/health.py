"""What the company's monitoring polls: `/healthz` (up or not, and why) and `/metrics` (Prometheus).

Both answer without a session (app.web.PUBLIC_ENDPOINTS). /healthz tells nothing about the
company's data: only whether the system works. /metrics counts requests and messages, so it
answers only the addresses listed in METRICS_ALLOWED (the client's address as app.proxy decides).
Figures kept in the database are read afresh on every scrape, so any web process gives the same;
the response counts and the journal's page times are this process's own (scrape each process).
"""
import functools
import time
from datetime import datetime

from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.utils import floatToGoString
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from app.config import BASE_DIR
from app.extensions import db
from app.models import BotStatus, Notification, Request, utcnow
from app.models.status import OPEN
from app.proxy import address_in, trusted_networks
from app.services.operations import bot_health
from app.services.statistics import bot_metrics
from app.services.requests import deadlines
from app.services.messaging import outbox
bp = Blueprint("health", __name__)

PRIORITIES = {outbox.REPLY: "reply", outbox.URGENT: "urgent", outbox.ALERT: "alert", outbox.BULK: "bulk"}

RESPONSES = Counter("zhkh_http_responses", "Responses of this web process by HTTP status code", ["code"])
JOURNAL_PAGE = Histogram("zhkh_journal_page_seconds", "Time to answer the request journal (page or fragment)",
                         buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))


@functools.cache
def migration_heads() -> frozenset[str]:
    """The code's newest migration revisions (read from migrations/ once per process)."""
    return frozenset(ScriptDirectory(str(BASE_DIR / "migrations")).get_heads())


def _age(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else max(0, int((now - moment).total_seconds()))


def outbox_pending() -> dict[str, tuple[int, datetime]]:
    """Priority name -> (pending messages, when the oldest was queued)."""
    rows = db.session.execute(
        select(Notification.priority, func.count(), func.min(Notification.created_at))
        .where(Notification.status == outbox.PENDING).group_by(Notification.priority)).all()
    return {PRIORITIES.get(priority, str(priority)): (count, oldest) for priority, count, oldest in rows}


def health() -> tuple[bool, dict]:
    """(healthy, the JSON body): the database, the migrations, the bot worker and the outbox."""
    heads = migration_heads()
    try:
        try:
            revisions = set(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
        except SQLAlchemyError:
            _rollback()
            db.session.execute(text("SELECT 1"))  # reachable, but never migrated: say that
            return False, {"status": "fail", "database": {"ok": True},
                           "migrations": {"ok": False, "database": [], "code": sorted(heads)}}
        beat = db.session.get(BotStatus, bot_health.ROW_ID)
        pending = outbox_pending()
    except SQLAlchemyError:
        current_app.logger.exception("Health check: database unavailable")
        _rollback()
        return False, {"status": "fail", "database": {"ok": False}}
    now = utcnow()
    migrations = {"ok": revisions == heads, "database": sorted(revisions), "code": sorted(heads)}

    configured = bool(current_app.config.get("TELEGRAM_BOT_TOKEN"))
    beat_age = _age(beat.beat_at, now) if beat else None
    bot = {"ok": not configured or (beat_age is not None and beat_age <= bot_health.STALE_AFTER.total_seconds()),
           "configured": configured, "heartbeat_age_seconds": beat_age,
           "telegram_ok_age_seconds": _age(beat.telegram_ok_at, now) if beat else None}

    # Announcements to thousands of residents take minutes by design; anything else waiting
    # that long means the sender is stuck.
    limit = current_app.config["OUTBOX_STUCK_SECONDS"]
    ages = {name: _age(oldest, now) for name, (_, oldest) in pending.items()}
    urgent = [age for name, age in ages.items() if name != "bulk"]
    box = {"ok": max(urgent, default=0) <= limit, "oldest_pending_age_seconds": max(ages.values(), default=None),
           "oldest_pending_age_seconds_by_priority": ages, "stuck_after_seconds": limit}

    ok = migrations["ok"] and bot["ok"] and box["ok"]
    return ok, {"status": "ok" if ok else "fail", "database": {"ok": True},
                "migrations": migrations, "bot": bot, "outbox": box}


def _rollback() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone: nothing to roll back
        pass


@bp.get("/healthz")
def healthz():
    ok, body = health()
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


class DatabaseFigures:
    """Collector of the figures kept in the database, read when /metrics is scraped."""

    def collect(self):
        up = GaugeMetricFamily("zhkh_database_up", "1 when the database answered this scrape")
        try:
            figures = list(self._figures())
        except SQLAlchemyError:
            current_app.logger.exception("Metrics: database unavailable")
            _rollback()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from figures

    @staticmethod
    def _figures():
        now = utcnow()
        # Open statuses only: closed and archived ones are history (the dashboard counts them), and
        # counting them too would read the whole index on every scrape (~0.3 s at a million on SQLite).
        by_status = dict(db.session.execute(select(Request.status, func.count())
                                            .where(Request.status.in_(OPEN)).group_by(Request.status)).all())
        requests = GaugeMetricFamily("zhkh_requests", "Open requests of residents by status", labels=["status"])
        for status in OPEN:
            requests.add_metric([status.value], by_status.get(status.value, 0))
        yield requests
        overdue = db.session.execute(select(func.count()).select_from(Request).where(deadlines.OVERDUE)).scalar_one()
        yield GaugeMetricFamily("zhkh_requests_overdue", "Requests past a deadline now", value=overdue)

        pending = outbox_pending()
        count = GaugeMetricFamily("zhkh_outbox_pending", "Messages waiting in the outbox", labels=["priority"])
        age = GaugeMetricFamily("zhkh_outbox_oldest_pending_seconds", "Age of the oldest waiting message",
                                labels=["priority"])
        for name in PRIORITIES.values():
            waiting, oldest = pending.get(name, (0, None))
            count.add_metric([name], waiting)
            age.add_metric([name], _age(oldest, now) or 0)
        yield count
        yield age
        failed = GaugeMetricFamily("zhkh_outbox_failed", "Messages Telegram did not take, by reason",
                                   labels=["reason"])
        failures = dict(db.session.execute(
            select(Notification.failure, func.count()).where(Notification.status == outbox.FAILED)
            .group_by(Notification.failure)).all())
        for reason in {*outbox.FAILURES, *failures}:
            failed.add_metric([reason or "unknown"], failures.get(reason, 0))
        yield failed

        beat = db.session.get(BotStatus, bot_health.ROW_ID)
        if beat is not None:
            yield GaugeMetricFamily("zhkh_bot_heartbeat_age_seconds", "Seconds since the bot worker's last heartbeat",
                                    value=_age(beat.beat_at, now))
            if beat.telegram_ok_at is not None:
                yield GaugeMetricFamily("zhkh_bot_telegram_ok_age_seconds",
                                        "Seconds since Telegram last answered the bot worker",
                                        value=_age(beat.telegram_ok_at, now))
        handled, seconds, buckets = bot_metrics.stored()
        yield HistogramMetricFamily(
            "zhkh_bot_update_seconds", "Telegram updates the bot worker handled (_count) and how long each took",
            buckets=[(floatToGoString(bound), n) for bound, n in buckets] + [("+Inf", handled)], sum_value=seconds)


@bp.get("/metrics")
def metrics():
    if not address_in(request.remote_addr, current_app.extensions["metrics_allowed"]):
        return Response("Метрики доступны только с адресов из METRICS_ALLOWED.\n", 403,
                        mimetype="text/plain")
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(DatabaseFigures())
    body = generate_latest(REGISTRY) + generate_latest(scrape)
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


@bp.before_app_request
def _start_clock():
    if request.endpoint == "journal.index":
        g.journal_started = time.perf_counter()


@bp.after_app_request
def _count_response(response):
    RESPONSES.labels(code=str(response.status_code)).inc()
    started = g.pop("journal_started", None)
    if started is not None:
        JOURNAL_PAGE.observe(time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    """Register the routes; a typo in METRICS_ALLOWED stops the app at start with the setting's name."""
    app.extensions["metrics_allowed"] = trusted_networks(app.config["METRICS_ALLOWED"], "METRICS_ALLOWED")
    app.register_blueprint(bp)
