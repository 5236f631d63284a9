"""the entrances an incident notes per house («1–3, 5»)

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("incident_addresses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entrances", sa.String(length=40), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("incident_addresses", schema=None) as batch_op:
        batch_op.drop_column("entrances")
