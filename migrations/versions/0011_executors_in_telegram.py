"""executors in Telegram: their bound account, one-time invitations, their reports in the thread

`executors.telegram_*` hold the Telegram account an executor bound through an invitation
(`executor_invitations`, one-time start codes valid 24 hours); `request_messages.executor_id`
names the executor who wrote a report from the bot.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("executors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("telegram_user_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("telegram_chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("telegram_name", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("telegram_bound_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_executors_telegram_user_id"), ["telegram_user_id"])
    op.create_table(
        "executor_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("executor_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by_telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["executor_id"], ["executors.id"],
                                name=op.f("fk_executor_invitations_executor_id_executors"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_users.id"],
                                name=op.f("fk_executor_invitations_created_by_id_staff_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executor_invitations")),
        sa.UniqueConstraint("code", name=op.f("uq_executor_invitations_code")),
    )
    op.create_index("ix_executor_invitations_executor_id", "executor_invitations", ["executor_id"], unique=False)
    with op.batch_alter_table("request_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("executor_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_request_messages_executor_id_executors"),
                                    "executors", ["executor_id"], ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("request_messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_request_messages_executor_id_executors"), type_="foreignkey")
        batch_op.drop_column("executor_id")
    op.drop_index("ix_executor_invitations_executor_id", table_name="executor_invitations")
    op.drop_table("executor_invitations")
    with op.batch_alter_table("executors", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_executors_telegram_user_id"), type_="unique")
        batch_op.drop_column("telegram_bound_at")
        batch_op.drop_column("telegram_name")
        batch_op.drop_column("telegram_chat_id")
        batch_op.drop_column("telegram_user_id")
