"""the dashboard's counters of the residents' ratings

Requests rated before are counted here by the app's own rules (request_stats.rebuild of
this table alone).

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    columns = [sa.Column("grain", sa.String(1), nullable=False),
               sa.Column("category_id", sa.Integer(), nullable=False),
               sa.Column("executor_id", sa.Integer(), nullable=False),
               sa.Column("day", sa.Date(), nullable=False),
               sa.Column("rating", sa.Integer(), nullable=False)]
    op.create_table("request_ratings", *columns, sa.Column("n", sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint(*(c.name for c in columns), name=op.f("pk_request_ratings")),
                    sqlite_with_rowid=False)

    from app.models.stats import RequestRating
    from app.services.statistics import request_stats
    request_stats.rebuild(op.get_bind(), current_app.config["TZ"], (RequestRating,))


def downgrade():
    op.drop_table("request_ratings")
