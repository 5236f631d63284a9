"""bot: the worker's heartbeat

One row the bot worker updates every BOT_HEARTBEAT_SECONDS; the web app warns
staff when it goes stale (the worker is down or cannot reach Telegram), since
residents then cannot file requests and notifications wait in the outbox.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bot_status",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("telegram_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_status")),
    )


def downgrade():
    op.drop_table("bot_status")
