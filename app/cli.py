"""Flask CLI commands: `flask create-admin`, `flask import-clients`, `flask seed-demo`."""
import os
import secrets

import click
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import StaffUser
from app.models.staff import ROLE_ADMIN


@click.command("create-admin")
@click.option("--login", "login_name", default=lambda: os.environ.get("ADMIN_LOGIN", "admin"),
              show_default="admin or $ADMIN_LOGIN")
@click.option("--password", default=lambda: os.environ.get("ADMIN_PASSWORD", ""),
              help="Defaults to $ADMIN_PASSWORD; a random one is generated and printed if empty.")
@click.option("--if-none", is_flag=True, help="Do nothing when an active administrator already exists.")
def create_admin(login_name: str, password: str, if_none: bool) -> None:
    """Create (or reset the password of) an administrator."""
    if if_none:
        exists = db.session.execute(
            select(func.count()).select_from(StaffUser).where(StaffUser.role == ROLE_ADMIN, StaffUser.active)
        ).scalar_one()
        if exists:
            click.echo("An administrator already exists; nothing to do.")
            return
    generated = not password
    if generated:
        password = secrets.token_urlsafe(9)
    user = db.session.execute(select(StaffUser).where(StaffUser.login == login_name)).scalar_one_or_none()
    if user is None:
        user = StaffUser(login=login_name, full_name="Администратор", role=ROLE_ADMIN)
        db.session.add(user)
    user.role = ROLE_ADMIN
    user.active = True
    user.set_password(password)
    db.session.commit()
    click.echo(f"Administrator '{login_name}' is ready.")
    if generated:
        click.echo(f"Password: {password}")


def init_app(app: Flask) -> None:
    app.cli.add_command(create_admin)
