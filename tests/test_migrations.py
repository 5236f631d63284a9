"""The Alembic migrations build the schema the models describe, on every backend."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.extensions import db


def test_migrated_schema_matches_models(app):
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        tables = set(inspect(conn).get_table_names())
    assert {"clients", "requests", "telegram_bindings", "notifications", "staff_users"} <= tables
