"""deadlines by category and the staff's alerts

Norms on categories and subcategories (an emergency flag, reaction and completion times
in minutes; a subcategory's own values override its category's), the deadlines stored on
each request with what became of them (app/services/requests/deadlines.py) and a small index of the
pending ones, the days whose staff digest was sent, and the dashboard's counters
(app/models/stats.py).

Requests filed before have no deadlines (there were no norms); their counters are counted
here by the app's own rules (app.services.statistics.request_stats.rebuild, which `flask rebuild-stats`
also runs): about two minutes per million requests. New columns of `requests` are plain
ADD COLUMNs: a batch rebuild would drop the search triggers of 0003.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def norm_columns(emergency_nullable: bool):
    flag = (sa.Column("emergency", sa.Boolean(), nullable=True) if emergency_nullable
            else sa.Column("emergency", sa.Boolean(), nullable=False, server_default=sa.false()))
    return [flag, sa.Column("reaction_minutes", sa.Integer(), nullable=True),
            sa.Column("completion_minutes", sa.Integer(), nullable=True)]


def request_columns():
    return [sa.Column("emergency", sa.Boolean(), nullable=False, server_default=sa.false())] + [
        sa.Column(name, UTC, nullable=True) for name in (
            "reaction_due_at", "completion_due_at", "reacted_at", "completed_at", "due_at")
    ] + [sa.Column("late_minutes", sa.Integer(), nullable=True), sa.Column("alerted_due_at", UTC, nullable=True)]


def counter_table(name, *columns):
    op.create_table(name, *columns, sa.Column("n", sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint(*(c.name for c in columns), name=op.f(f"pk_{name}")),
                    sqlite_with_rowid=False)


def upgrade():
    for column in norm_columns(emergency_nullable=False):
        op.add_column("categories", column)
    for column in norm_columns(emergency_nullable=True):
        op.add_column("subcategories", column)
    for column in request_columns():
        op.add_column("requests", column)
    pending = sa.text("due_at IS NOT NULL")
    op.create_index("ix_requests_due_at", "requests",
                    ["due_at", "created_at", "category_id", "executor_id", "late_minutes"],
                    sqlite_where=pending, postgresql_where=pending)
    op.create_index("ix_requests_emergency_created", "requests", ["emergency", "created_at"])

    op.create_table("staff_digests", sa.Column("day", sa.Date(), nullable=False),
                    sa.Column("created_at", UTC, nullable=False),
                    sa.PrimaryKeyConstraint("day", name=op.f("pk_staff_digests")))
    counter_table("request_counts", sa.Column("grain", sa.String(1), nullable=False),
                  sa.Column("day", sa.Date(), nullable=False),
                  sa.Column("category_id", sa.Integer(), nullable=False),
                  sa.Column("executor_id", sa.Integer(), nullable=False),
                  sa.Column("status", sa.String(16), nullable=False),
                  sa.Column("done", sa.Boolean(), nullable=False),
                  sa.Column("deadline", sa.Boolean(), nullable=False),
                  sa.Column("late", sa.Boolean(), nullable=False))
    counter_table("request_durations", sa.Column("grain", sa.String(1), nullable=False),
                  sa.Column("category_id", sa.Integer(), nullable=False),
                  sa.Column("executor_id", sa.Integer(), nullable=False),
                  sa.Column("day", sa.Date(), nullable=False),
                  sa.Column("minutes", sa.Integer(), nullable=False))
    counter_table("request_addresses", sa.Column("grain", sa.String(1), nullable=False),
                  sa.Column("category_id", sa.Integer(), nullable=False),
                  sa.Column("day", sa.Date(), nullable=False),
                  sa.Column("address", sa.String(400), nullable=False))

    # Derived data, counted by the rules the app keeps it by. (Should request_stats.FACT_COLUMNS ever
    # name a column added after 0008, this call moves to that column's migration.)
    from app.models.stats import RequestAddress, RequestCount, RequestDuration
    from app.services.statistics import request_stats
    request_stats.rebuild(op.get_bind(), current_app.config["TZ"], (RequestCount, RequestDuration, RequestAddress))


def downgrade():
    for name in ("request_addresses", "request_durations", "request_counts", "staff_digests"):
        op.drop_table(name)
    op.drop_index("ix_requests_emergency_created", table_name="requests")
    op.drop_index("ix_requests_due_at", table_name="requests")
    for column in reversed(request_columns()):
        op.drop_column("requests", column.name)
    for table in ("subcategories", "categories"):
        for column in reversed(norm_columns(emergency_nullable=True)):
            op.drop_column(table, column.name)
