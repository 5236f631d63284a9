"""`flask create-admin`: the first administrator of a fresh installation."""
import re

from app.extensions import db
from app.models import StaffUser


def test_generated_password_is_printed_and_works(app, runner, visitor):
    result = runner.invoke(args=["create-admin", "--login", "chief"])
    assert result.exit_code == 0, result.output
    password = re.search(r"Password: (\S+)", result.output).group(1)
    assert len(password) >= 12
    assert visitor.login("chief", password).headers["Location"] == "/"
    with app.app_context():
        chief = db.session.execute(db.select(StaffUser).filter_by(login="chief")).scalar_one()
        assert chief.is_admin and chief.active
        assert password not in chief.password_hash


def test_password_from_environment_is_not_printed(app, runner, visitor, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "from-env-secret")
    result = runner.invoke(args=["create-admin", "--login", "chief"])
    assert "from-env-secret" not in result.output
    assert visitor.login("chief", "from-env-secret").headers["Location"] == "/"


def test_if_none_keeps_an_existing_administrator(app, runner, visitor):
    result = runner.invoke(args=["create-admin", "--if-none", "--login", "admin", "--password", "other-pass-1"])
    assert "already exists" in result.output
    assert visitor.login("admin", "other-pass-1").status_code == 200  # old password still in force


def test_rerun_resets_the_password_and_reactivates(app, runner, visitor):
    with app.app_context():
        admin = db.session.execute(db.select(StaffUser).filter_by(login="admin")).scalar_one()
        admin.active = False
        db.session.commit()
    runner.invoke(args=["create-admin", "--login", "admin", "--password", "new-pass-123"])
    assert visitor.login("admin", "new-pass-123").headers["Location"] == "/"
