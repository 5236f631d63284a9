"""A Flask test client already signed in as a staff user, for the benches: the session Flask-Login
reads is written directly (no password, no login form in the figures)."""
from sqlalchemy import select


def signed_in(app, login: str = "bench"):
    from app.extensions import db
    from app.models import StaffUser

    client = app.test_client()
    with app.app_context():
        session_id = db.session.execute(select(StaffUser).where(StaffUser.login == login)).scalar_one().get_id()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client
