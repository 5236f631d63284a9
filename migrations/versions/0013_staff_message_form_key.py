"""a staff message remembers the form it came from: a second post of the same form sends nothing

`request_messages.form_key` holds the random key rendered in the request page's message form;
unique per request, so a double click (or a resent post) finds the message the first post made.
Messages written before it, and by the bot, have none.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("request_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form_key", sa.String(length=32), nullable=True))
    op.create_index("ix_request_messages_form_key", "request_messages", ["request_id", "form_key"], unique=True)


def downgrade():
    op.drop_index("ix_request_messages_form_key", table_name="request_messages")
    with op.batch_alter_table("request_messages", schema=None) as batch_op:
        batch_op.drop_column("form_key")
