"""outbox: priorities, photos, buttons and why a message was not delivered

The outbox (`notifications`) carries every message the system sends on its own
initiative, not only status notifications: replies that must survive a restart,
staff messages with photos and buttons, alerts, announcements. A priority keeps a
big announcement from delaying request messages; `failure` says why a message was
not delivered (the resident blocked the bot, the chat is gone); the Telegram
message id is kept. New columns only (SQLite ADD COLUMN): `requests` is untouched.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

def columns():
    return [
        sa.Column("kind", sa.String(length=24), nullable=False, server_default="status"),
        sa.Column("priority", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.Column("photo", sa.String(length=512), nullable=False, server_default=""),
        sa.Column("buttons", sa.Text(), nullable=False, server_default=""),
        sa.Column("failure", sa.String(length=16), nullable=False, server_default=""),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
    ]


def upgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        for column in columns():
            batch_op.add_column(column)
        batch_op.drop_index("ix_notifications_status_next")
        batch_op.create_index("ix_notifications_status_priority", ["status", "priority", "id"], unique=False)
        batch_op.create_index("ix_notifications_chat_status", ["chat_id", "status", "priority", "id"],
                              unique=False)
        batch_op.create_index("ix_notifications_request", ["request_id"], unique=False)
    # Rows written before knew one failure only: a permanent refusal. (The server defaults stay:
    # a process still running the old code during an upgrade inserts rows without these columns.)
    op.execute("UPDATE notifications SET failure = 'rejected' WHERE status = 'failed'")


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_request")
        batch_op.drop_index("ix_notifications_chat_status")
        batch_op.drop_index("ix_notifications_status_priority")
        batch_op.create_index("ix_notifications_status_next", ["status", "next_attempt_at"], unique=False)
        for column in reversed(columns()):
            batch_op.drop_column(column.name)
