"""export jobs in the database: any web process answers an export's polling and download

The journal's Excel exports were a thread and a JSON file under instance/exports of one web
process; a job is now a row (its state, progress, the process running it and that process's
heartbeat) and its workbook a file of the file store. Exports running or finished under the
old scheme are not carried over: their files expired within the hour anyway.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "export_jobs",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=128), nullable=False),
        sa.Column("ascii_filename", sa.String(length=128), nullable=False),
        sa.Column("message", sa.String(length=512), nullable=False),
        sa.Column("file", sa.String(length=512), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["staff_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_export_jobs_user_id", "export_jobs", ["user_id"])


def downgrade():
    conn = op.get_bind()  # the workbooks go with their jobs
    for ref in conn.execute(sa.text("SELECT file FROM export_jobs WHERE file LIKE 'db:%'")).scalars().all():
        conn.execute(sa.text("DELETE FROM stored_file_chunks WHERE file_id = :id"), {"id": int(ref[3:])})
        conn.execute(sa.text("DELETE FROM stored_files WHERE id = :id"), {"id": int(ref[3:])})
    op.drop_index("ix_export_jobs_user_id", table_name="export_jobs")
    op.drop_table("export_jobs")
