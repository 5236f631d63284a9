"""meters of personal accounts, their readings, the residents' reminder opt-outs and the reminders sent

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "meters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("resource", sa.String(length=8), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=64), nullable=False),
        sa.Column("int_digits", sa.SmallInteger(), nullable=False),
        sa.Column("frac_digits", sa.SmallInteger(), nullable=False),
        sa.Column("verification_due", sa.Date()),
        sa.Column("initial_date", sa.Date(), nullable=False),
        sa.Column("initial1", sa.BigInteger(), nullable=False),
        sa.Column("initial2", sa.BigInteger()),
        sa.Column("initial3", sa.BigInteger()),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("replaced_on", sa.Date()),
        sa.Column("final1", sa.BigInteger()),
        sa.Column("final2", sa.BigInteger()),
        sa.Column("final3", sa.BigInteger()),
        sa.Column("verification_noticed", sa.Date()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_meters_client", "meters", ["client_id", "active"])
    op.create_index("ix_meters_serial", "meters", ["serial"])
    op.create_index("ix_meters_verification", "meters", ["active", "verification_due"])
    op.create_table(
        "meter_readings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meter_id", sa.Integer(), sa.ForeignKey("meters.id", ondelete="CASCADE"), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("v1", sa.BigInteger(), nullable=False),
        sa.Column("v2", sa.BigInteger()),
        sa.Column("v3", sa.BigInteger()),
        sa.Column("prev1", sa.BigInteger()),
        sa.Column("prev2", sa.BigInteger()),
        sa.Column("prev3", sa.BigInteger()),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger()),
        sa.Column("chat_id", sa.BigInteger()),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
        sa.Column("photo_file_id", sa.String(length=200), nullable=False),
        sa.Column("photo_path", sa.String(length=255), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
        sa.Column("reviewed_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("uq_meter_readings_live", "meter_readings", ["meter_id", "period"], unique=True,
                    sqlite_where=sa.text("live"), postgresql_where=sa.text("live"))
    op.create_index("ix_meter_readings_meter", "meter_readings", ["meter_id", "period", "id"])
    op.create_index("ix_meter_readings_period", "meter_readings", ["period", "status", "live", "meter_id"])
    op.create_table(
        "meter_reminder_opt_outs",
        sa.Column("telegram_user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "meter_reminder_runs",
        sa.Column("period", sa.Date(), primary_key=True),
        sa.Column("kind", sa.String(length=12), primary_key=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("meter_reminder_runs")
    op.drop_table("meter_reminder_opt_outs")
    op.drop_table("meter_readings")
    op.drop_table("meters")
