"""The dashboard's summary of requests: counters kept by app.services.statistics.request_stats, read by app.dashboard.

Every figure of «Сводка» is about the requests filed in a period of local days. Adding up these
counters instead of the requests keeps the dashboard fast on a million requests (bench/dashboard.py):
each table counts the requests filed in a day, in a week (`day` = its Monday) and in a month (`day` =
its first day), told apart by `grain`, so that a period is read as its whole months, then the whole
weeks left, then the days left (request_stats.cover). The tables whose keys are nearly as many as
the requests they count (durations, ratings) also keep totals over a dimension under ALL (every
category, every executor), and their keys begin with those dimensions, so that a figure reads only the rows it adds up. Counters that
dropped to 0 stay: they are few and harmless.
"""
from datetime import date

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

DAY, WEEK, MONTH = "d", "w", "m"
NO_EXECUTOR = 0  # executor_id of requests without one (a key column cannot be NULL)
ALL = -1         # category_id / executor_id of a total over every category / executor

# Clustered by the key (SQLite WITHOUT ROWID): a range of the key is a range of the table.
CLUSTERED = {"sqlite_with_rowid": False}


class RequestCount(db.Model):
    """Requests by category, executor, status and deadline outcome."""

    __tablename__ = "request_counts"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
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
    """Done requests by their time from filing to done (`minutes`, rounded to the nearest step of the
    precision the dashboard shows: request_stats.duration_bucket), per category and executor, and per
    each alone."""

    __tablename__ = "request_durations"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    category_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    executor_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    minutes: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(default=0)

    __table_args__ = CLUSTERED


class RequestRating(db.Model):
    """Requests the resident rated (1-5) after confirming the work, per category and executor, and
    per each alone."""

    __tablename__ = "request_ratings"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    category_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    executor_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    rating: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(default=0)

    __table_args__ = CLUSTERED


class RequestAddress(db.Model):
    """Requests by house, per category and over every category."""

    __tablename__ = "request_addresses"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    category_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    address: Mapped[str] = mapped_column(String(400), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)

    __table_args__ = CLUSTERED
