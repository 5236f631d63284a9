"""incidents (аварии): many requests about one burst riser, moved and answered together

`incidents` with their houses (`incident_addresses`) and history (`incident_events`);
`requests.incident_id` names the one incident a request is part of, indexed with the filing
time for the journal's filter «по аварии».

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("subcategory_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("expected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("executor_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_users.id"],
                                name=op.f("fk_incidents_created_by_id_staff_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], name=op.f("fk_incidents_category_id_categories")),
        sa.ForeignKeyConstraint(["subcategory_id"], ["subcategories.id"],
                                name=op.f("fk_incidents_subcategory_id_subcategories")),
        sa.ForeignKeyConstraint(["executor_id"], ["executors.id"], name=op.f("fk_incidents_executor_id_executors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("number", name=op.f("uq_incidents_number")),
    )
    op.create_index("ix_incidents_status_created", "incidents", ["status", "created_at"])
    op.create_table(
        "incident_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("house", sa.String(length=20), nullable=False),
        sa.Column("house_letter", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"],
                                name=op.f("fk_incident_addresses_incident_id_incidents"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_addresses")),
    )
    op.create_index(op.f("ix_incident_addresses_incident_id"), "incident_addresses", ["incident_id"])
    op.create_index("ix_incident_addresses_house", "incident_addresses", ["street", "house"])
    op.create_table(
        "incident_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"],
                                name=op.f("fk_incident_events_incident_id_incidents"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_id"], ["staff_users.id"],
                                name=op.f("fk_incident_events_actor_id_staff_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_events")),
    )
    op.create_index(op.f("ix_incident_events_incident_id"), "incident_events", ["incident_id"])
    # A nullable column with a REFERENCES clause: SQLite adds it in place (no table rebuild, the
    # search triggers stay); PostgreSQL gets the named constraint. Incidents are never deleted.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE requests ADD COLUMN incident_id INTEGER CONSTRAINT fk_requests_incident_id_incidents "
                   "REFERENCES incidents (id)")
    else:
        op.add_column("requests", sa.Column("incident_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_requests_incident_id_incidents"), "requests", "incidents",
                              ["incident_id"], ["id"])
    op.create_index("ix_requests_incident_created", "requests", ["incident_id", "created_at"])


def downgrade():
    op.drop_index("ix_requests_incident_created", table_name="requests")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_requests_incident_id_incidents"), "requests", type_="foreignkey")
    op.drop_column("requests", "incident_id")
    op.drop_table("incident_events")
    op.drop_table("incident_addresses")
    op.drop_table("incidents")
