"""The dashboard's summary of requests: counters kept by app.services.request_stats, read by app.dashboard.

Every figure of «Сводка» is about the requests filed in a period of local days. Adding up
these counters instead of the requests themselves keeps the dashboard fast on a million
requests (bench/dashboard.py). `request_counts` has a row per day; the two tables whose keys
are nearly as many as the requests (time to done, addresses) also have a row per month
(`grain` "m", `day` = the month's first day), so that the whole months of a period are read
from those and only its first and last partial months from the daily rows (grain "d").
Counters that dropped to 0 stay: they are few and harmless.
"""
from datetime import date

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

DAY, MONTH = "d", "m"
NO_EXECUTOR = 0   # executor_id of requests without one (a key column cannot be NULL)
ALL_CATEGORIES = 0  # category_id of the monthly address rows that add up every category

# Clustered by the key (SQLite WITHOUT ROWID): a period is one range of the table.
CLUSTERED = {"sqlite_with_rowid": False}


class RequestCount(db.Model):
    """Requests filed on a day, by category, executor, status and deadline outcome."""

    __tablename__ = "request_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    executor_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    done: Mapped[bool] = mapped_column(primary_key=True)      # the work was done (not closed without it)
    deadline: Mapped[bool] = mapped_column(primary_key=True)  # it has a reaction or completion deadline
    late: Mapped[bool] = mapped_column(primary_key=True)      # a deadline was met late
    n: Mapped[int] = mapped_column(default=0)

    __table_args__ = CLUSTERED


class RequestDuration(db.Model):
    """Done requests filed on a day (or in a month) by their time from filing to done (`minutes`,
    rounded down to the precision app.services.request_stats.duration_bucket shows)."""

    __tablename__ = "request_durations"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    executor_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    minutes: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(default=0)

    __table_args__ = CLUSTERED


class RequestAddress(db.Model):
    """Requests filed on a day (or in a month) by house; the monthly rows also add up every
    category under ALL_CATEGORIES."""

    __tablename__ = "request_addresses"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    address: Mapped[str] = mapped_column(String(400), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)

    __table_args__ = CLUSTERED
