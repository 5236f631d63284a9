"""meter readings: each live reading's stored previous values recounted from the counted readings
before it (a past month entered, corrected or rejected before the later months followed it)

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

COUNTED = ("accepted", "suspicious")  # app.models.meters.COUNTED, as it is at this revision


def upgrade():
    """One UPDATE: a live reading's previous values are the meter's latest counted reading of an
    earlier month, or its initial values (what app.services.meters.readings.relink keeps from now on)."""
    readings = sa.table("meter_readings", sa.column("meter_id"), sa.column("period"), sa.column("live"),
                        sa.column("status"), *(sa.column(f"v{i}") for i in (1, 2, 3)),
                        *(sa.column(f"prev{i}") for i in (1, 2, 3)))
    meters = sa.table("meters", sa.column("id"), *(sa.column(f"initial{i}") for i in (1, 2, 3)))
    earlier = readings.alias("earlier")

    def previous(i: int):
        latest = (sa.select(earlier.c[f"v{i}"])
                  .where(earlier.c.meter_id == readings.c.meter_id, earlier.c.live == sa.true(),
                         earlier.c.status.in_(COUNTED), earlier.c.period < readings.c.period)
                  .order_by(earlier.c.period.desc()).limit(1).scalar_subquery())
        initial = sa.select(meters.c[f"initial{i}"]).where(meters.c.id == readings.c.meter_id).scalar_subquery()
        return sa.func.coalesce(latest, initial)  # a rate the meter has is never NULL in a reading

    # Only the rows that differ are written: most are right, and rewriting millions of rows for
    # nothing is what makes such a migration slow (PostgreSQL writes a new version of each).
    stale = sa.or_(*(readings.c[f"prev{i}"].is_distinct_from(previous(i)) for i in (1, 2, 3)))
    op.execute(sa.update(readings).where(readings.c.live == sa.true(), stale)
               .values(prev1=previous(1), prev2=previous(2), prev3=previous(3)))


def downgrade():
    """Nothing to undo: the values recounted are what they should have been."""
