"""consent to personal data: the notice's versions and residents' answers (households, issue 19)

Residents bound before this revision have no answer yet: the bot asks them at their next message.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "consent_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.Integer(), nullable=False, unique=True),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("policy_url", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
    )
    op.create_table(
        "consent_records",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("version_id", sa.Integer(), sa.ForeignKey("consent_versions.id"), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_consent_records_user", "consent_records", ["telegram_user_id", "id"])
    op.create_index("ix_consent_records_created", "consent_records", ["created_at", "id"])


def downgrade():
    op.drop_index("ix_consent_records_created", table_name="consent_records")
    op.drop_index("ix_consent_records_user", table_name="consent_records")
    op.drop_table("consent_records")
    op.drop_table("consent_versions")
