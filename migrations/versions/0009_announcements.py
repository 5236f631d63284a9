"""announcements to residents by address

`announcements` holds each notice (a draft until sent); its messages are outbox rows
(`notifications.announcement_id`, indexed with the status for the notice's report).
`announcement_opt_outs` lists the Telegram users who switched notices off in the bot.
An index on the clients' address serves choosing residents by city, street and house.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photo", sa.String(length=512), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_users.id"],
                                name=op.f("fk_announcements_created_by_id_staff_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["sent_by_id"], ["staff_users.id"],
                                name=op.f("fk_announcements_sent_by_id_staff_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["cancelled_by_id"], ["staff_users.id"],
                                name=op.f("fk_announcements_cancelled_by_id_staff_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    op.create_table(
        "announcement_opt_outs",
        sa.Column("telegram_user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("telegram_user_id", name=op.f("pk_announcement_opt_outs")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("announcement_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_notifications_announcement_id_announcements"),
                                    "announcements", ["announcement_id"], ["id"], ondelete="CASCADE")
        batch_op.create_index("ix_notifications_announcement", ["announcement_id", "status"], unique=False)
    op.create_index("ix_clients_address", "clients", ["city", "street", "house"], unique=False)


def downgrade():
    op.drop_index("ix_clients_address", table_name="clients")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_announcement")
        batch_op.drop_constraint(batch_op.f("fk_notifications_announcement_id_announcements"), type_="foreignkey")
        batch_op.drop_column("announcement_id")
    op.drop_table("announcement_opt_outs")
    op.drop_table("announcements")
