"""Counting failed attempts (web logins, bot identification) in a sliding window."""
from datetime import timedelta

from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import Attempt, utcnow


def is_throttled(scope: str, key: str, limit: int, window_seconds: int) -> bool:
    since = utcnow() - timedelta(seconds=window_seconds)
    count = db.session.execute(
        select(func.count()).select_from(Attempt).where(
            Attempt.scope == scope, Attempt.key == key, Attempt.created_at >= since
        )
    ).scalar_one()
    return count >= limit


def record_failure(scope: str, key: str) -> None:
    db.session.add(Attempt(scope=scope, key=key[:128]))


def reset(scope: str, key: str) -> None:
    db.session.execute(delete(Attempt).where(Attempt.scope == scope, Attempt.key == key))


def purge_older_than(seconds: int) -> None:
    db.session.execute(delete(Attempt).where(Attempt.created_at < utcnow() - timedelta(seconds=seconds)))
