"""deadlines by category and the staff's alerts

Reserved: the feature's tables and columns are added here.

Revision ID: 0008
Revises: 0007
"""

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
