"""conversation on a request: resident and staff messages, the resident's verdict and rating

`request_messages` holds what the resident (through the bot) and staff write to each
other; a photo of the conversation is a `request_photos` row with its message, a staff
message's outbox rows name it (`notifications.message_id`) so its delivery state is known.
`requests` gains the count of resident messages staff have not seen yet (the journal
filters by it without reading the messages), the resident's verdict on finished work,
the rating, and when the open question «Проблема решена?» was asked. Columns are added
to `requests` one by one (SQLite ADD COLUMN): a batch rebuild would drop the search
triggers of 0003.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

REQUEST_INDEXES = {
    "ix_requests_unread": ["unread_messages", "id"],
    "ix_requests_verdict": ["verdict", "category_id", "created_at"],
    "ix_requests_rating": ["rating", "category_id", "created_at"],
}


def upgrade():
    op.create_table(
        "request_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("on_closed", sa.Boolean(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], name=op.f("fk_request_messages_request_id_requests"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], name=op.f("fk_request_messages_staff_id_staff_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_messages")),
    )
    op.create_index("ix_request_messages_request", "request_messages", ["request_id", "id"], unique=False)

    op.add_column("requests", sa.Column("unread_messages", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("requests", sa.Column("verdict", sa.String(length=16), nullable=False, server_default=""))
    op.add_column("requests", sa.Column("rating", sa.SmallInteger(), nullable=True))
    op.add_column("requests", sa.Column("confirmation_asked_at", sa.DateTime(timezone=True), nullable=True))
    for name, columns in REQUEST_INDEXES.items():
        op.create_index(name, "requests", columns, unique=False)

    # Foreign keys on SQLite need a table rebuild: fine for these two, which have no triggers.
    with op.batch_alter_table("request_photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_request_photos_message_id_request_messages"),
                                    "request_messages", ["message_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_notifications_message_id_request_messages"),
                                    "request_messages", ["message_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index("ix_notifications_message", ["message_id"], unique=False)


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_message")
        batch_op.drop_constraint(batch_op.f("fk_notifications_message_id_request_messages"), type_="foreignkey")
        batch_op.drop_column("message_id")
    with op.batch_alter_table("request_photos", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_request_photos_message_id_request_messages"), type_="foreignkey")
        batch_op.drop_column("message_id")
    for name in REQUEST_INDEXES:
        op.drop_index(name, table_name="requests")
    for column in ("confirmation_asked_at", "rating", "verdict", "unread_messages"):
        op.drop_column("requests", column)  # SQLite 3.35+ drops a column in place
    op.drop_index("ix_request_messages_request", table_name="request_messages")
    op.drop_table("request_messages")
