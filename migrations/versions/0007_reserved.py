"""conversation on a request (resident and staff messages, confirmation and rating)

Reserved: the feature's tables and columns are added here.

Revision ID: 0007
Revises: 0006
"""

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
