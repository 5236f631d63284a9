"""app.database: row locks shared by the web app and the bot worker."""
import pytest

from app.database import locked, locked_many
from app.extensions import db
from app.models import Request
from tests import factories


@pytest.mark.sqlite_only  # PostgreSQL locks the row with SELECT ... FOR UPDATE: nothing is written
def test_locking_a_request_on_sqlite_writes_nothing_but_the_lock(app):
    """The no-op write that takes SQLite's write lock must not fire the search index's triggers
    (each lock used to delete and re-add the request's search row) nor move index entries."""
    with app.app_context():
        request_id = factories.request(description="Вода в подвале").id
        changes = "SELECT total_changes()"
        before = db.session.connection().exec_driver_sql(changes).scalar()
        request = locked(Request, request_id)
        assert db.session.connection().exec_driver_sql(changes).scalar() - before == 1  # the UPDATE alone
        assert request.description == "Вода в подвале"
        db.session.rollback()


def test_locking_many_requests_reads_each_afresh_and_skips_unknown_ids(app):
    with app.app_context():
        first, second = (factories.request(description=f"Заявка {n}").id for n in range(2))
        held = db.session.get(Request, first)
        db.session.execute(db.update(Request).where(Request.id == first).values(description="Изменена"))
        rows = locked_many(Request, [second, 999_999, first, second])
        assert list(rows) == [first, second]  # in id order, the unknown id left out
        assert rows[first] is held and held.description == "Изменена"  # re-read, not the stale copy
        assert locked_many(Request, []) == {}
        db.session.rollback()
