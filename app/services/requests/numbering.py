"""Human-readable request numbers: one atomic counter, never reused."""
from sqlalchemy import func, insert, select, update

from app.extensions import db
from app.models import Counter, Request

REQUEST_COUNTER = "request"


def next_request_number() -> int:
    """Take the next number inside the caller's transaction.

    The UPDATE takes the row (PostgreSQL) or the database (SQLite) write lock,
    so two writers never get the same value; a rolled-back request leaves a gap
    rather than handing its number out again.
    """
    bump = (
        update(Counter)
        .where(Counter.name == REQUEST_COUNTER)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    value = db.session.execute(bump).scalar()
    if value is None:  # first request ever (the migration seeds the row; this covers a bare schema)
        start = db.session.execute(select(func.coalesce(func.max(Request.number), 0))).scalar_one()
        db.session.execute(insert(Counter).values(name=REQUEST_COUNTER, value=start))
        value = db.session.execute(bump).scalar()
    return int(value)
