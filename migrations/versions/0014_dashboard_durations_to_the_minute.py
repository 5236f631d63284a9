"""dashboard: time to done counted at the precision README states, rounded to the nearest step

The counters of time to done (request_durations) kept it rounded DOWN to coarse steps (5 minutes
under an hour, 30 minutes under 10 hours...): a job done in 3 minutes showed «0 мин». They now
keep it to the minute under an hour, to 10 minutes under a day, to the hour under a week, then in
days, each rounded to the nearest step (app.services.statistics.request_stats.duration_bucket). The counters
are recounted from the requests by the app's own rules, as migration 0008 counted them; going down
recounts them with the old rounding, kept here as it was.

Revision ID: 0014
Revises: 0012
"""
from alembic import op
from flask import current_app

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# request_stats.PRECISION before this revision: whole minutes (rounded down), then below `limit`
# minutes rounded down to `step`.
OLD_PRECISION = ((60, 5), (600, 30), (1440, 60), (7 * 1440, 180), (30 * 1440, 1440), (365 * 1440, 7 * 1440))


def old_bucket(created_at, done_at) -> int:
    minutes = max(0, int((done_at - created_at).total_seconds() // 60))
    for limit, step in OLD_PRECISION:
        if minutes < limit:
            return minutes - minutes % step
    return OLD_PRECISION[-1][0]


def upgrade():
    from app.models.stats import RequestDuration
    from app.services.statistics import request_stats
    request_stats.rebuild(op.get_bind(), current_app.config["TZ"], (RequestDuration,))


def downgrade():
    from app.models.stats import RequestDuration
    from app.services.statistics import request_stats
    request_stats.rebuild(op.get_bind(), current_app.config["TZ"], (RequestDuration,), bucket=old_bucket)
