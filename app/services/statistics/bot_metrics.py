"""The bot worker's own figures for /metrics: updates handled and how long each took.

The worker runs on another machine than the web processes that answer /metrics, so it
keeps the figures in memory and adds them with every heartbeat to named rows of the
`counters` table (beside the request numbers): `UPDATE ... SET value = value + delta`,
so they only grow, survive restarts and add up across workers. /metrics reads them back
as a Prometheus histogram. Seconds are kept as whole microseconds (the column is an integer).
"""
import threading

from sqlalchemy import insert, select, update

from app.extensions import db
from app.models import Counter

# Upper bounds (seconds) of the handling-time buckets: a plain reply takes milliseconds,
# a photo download or a Telegram retry seconds.
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
PREFIX = "bot_update_"
COUNT = PREFIX + "count"
SUM_US = PREFIX + "sum_us"


def bucket_name(bound: float) -> str:
    return f"{PREFIX}le_{bound:g}"


class UpdateTimes:
    """Handling times observed since the last flush (thread-safe: the update pool records)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pending: dict[str, int] = {}

    def record(self, seconds: float) -> None:
        with self._lock:
            self._add({COUNT: 1, SUM_US: round(seconds * 1_000_000),
                       **{bucket_name(b): 1 for b in BUCKETS if seconds <= b}})

    def flush(self) -> None:
        """Add what was observed to the database and commit; kept for the next flush if that fails."""
        with self._lock:
            deltas, self._pending = self._pending, {}
        if not deltas:
            return
        try:
            for name, delta in deltas.items():
                _add_to_counter(name, delta)
            db.session.commit()
        except Exception:
            db.session.rollback()
            with self._lock:
                self._add(deltas)
            raise

    def _add(self, deltas: dict[str, int]) -> None:
        for name, delta in deltas.items():
            self._pending[name] = self._pending.get(name, 0) + delta


def _add_to_counter(name: str, delta: int) -> None:
    bump = update(Counter).where(Counter.name == name).values(value=Counter.value + delta)
    if db.session.execute(bump).rowcount == 0:
        db.session.execute(insert(Counter).values(name=name, value=delta))


def stored() -> tuple[int, float, list[tuple[float, int]]]:
    """(updates handled, their total seconds, cumulative [(bucket bound, count)]) as flushed so far."""
    rows = dict(db.session.execute(
        select(Counter.name, Counter.value).where(Counter.name.startswith(PREFIX, autoescape=True))).all())
    buckets = [(b, int(rows.get(bucket_name(b), 0))) for b in BUCKETS]
    return int(rows.get(COUNT, 0)), rows.get(SUM_US, 0) / 1_000_000, buckets


# One per worker process: the update pool records, the heartbeat flushes.
UPDATES = UpdateTimes()
