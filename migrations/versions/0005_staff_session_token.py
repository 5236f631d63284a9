"""staff: a session token that a password change renews

Every session and remember-me cookie carries the user's token (StaffUser.get_id), so a
new password ends all the others at once. Existing users get a random token each, which
signs everybody out once after the upgrade: their old cookies carry no token.

Revision ID: 0005
Revises: 0004
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=32), nullable=True))
    staff = sa.table("staff_users", sa.column("id", sa.Integer()), sa.column("session_token", sa.String()))
    conn = op.get_bind()
    for user_id in conn.execute(sa.select(staff.c.id)).scalars().all():
        conn.execute(staff.update().where(staff.c.id == user_id).values(session_token=secrets.token_hex(16)))
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("session_token")
