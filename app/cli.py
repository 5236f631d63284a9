"""Flask CLI commands: `flask create-admin`, `flask import-clients`, `flask import-meters`, `flask seed-demo`, `flask transfer-db`,
`flask rebuild-stats`, `flask backup`, `flask restore`, `flask storage-check`."""
import os
import secrets
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from app.extensions import db
from app.models import StaffUser
from app.models.staff import ROLE_ADMIN


@click.command("create-admin")
@with_appcontext
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


def _import_file(path: str, dry_run: bool, run, failed: type) -> None:
    """Run an import (`run(content, filename, dry_run=...)`) and print its report: a file it cannot read
    imports nothing; a dry run saves nothing."""
    file = Path(path)
    try:
        report = run(file.read_bytes(), file.name, dry_run=dry_run)
    except failed as exc:
        db.session.rollback()
        raise click.ClickException(f"Nothing imported: {exc}") from None
    if not dry_run:
        db.session.commit()
    for line in report.lines():
        click.echo(line)


@click.command("import-clients")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and print the report without saving.")
def import_clients(path: str, dry_run: bool) -> None:
    """Import clients from an .xlsx or .csv file (create or update by personal account)."""
    from app.services.people import client_import
    _import_file(path, dry_run, client_import.import_clients, client_import.ImportFailed)


@click.command("import-meters")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and print the report without saving.")
def import_meters(path: str, dry_run: bool) -> None:
    """Import meters from an .xlsx or .csv file (create or update by account, resource and serial)."""
    from app.services.meters import meter_import
    _import_file(path, dry_run, meter_import.import_meters, meter_import.ImportFailed)


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing (successfully) when the database has data.")
@click.option("--clients", default=300, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--requests", default=400, show_default=True, type=click.IntRange(0, 100_000))
@click.option("--seed", "rng_seed", default=2024, show_default=True, help="Random seed.")
def seed_demo(if_empty: bool, clients: int, requests: int, rng_seed: int) -> None:
    """Fill an empty database with demo clients, categories, executors and requests."""
    from app.services.operations import demo_data
    if not demo_data.is_empty():
        if if_empty:
            click.echo("The database already has data; demo data not added.")
            return
        raise click.ClickException("The database already has clients, categories or requests; "
                                   "seed-demo only fills an empty database.")
    created = demo_data.seed(clients=clients, requests=requests, rng_seed=rng_seed)
    db.session.commit()
    click.echo("Demo data added: " + ", ".join(f"{count} {name}" for name, count in created.items()) + ".")


@click.command("transfer-db")
@with_appcontext
@click.option("--to", "target_url", required=True, metavar="URL",
              help="An empty PostgreSQL database: postgresql://user:password@host:5432/name")
def transfer_db(target_url: str) -> None:
    """Copy every table of the current database (DATABASE_URL) into an empty PostgreSQL database."""
    from app.services.operations import transfer
    started = time.monotonic()
    try:
        counts = transfer.transfer(
            target_url, echo=click.echo,
            progress=lambda label, length: click.progressbar(length=length, label=f"{label:<20}"))
    except transfer.CountMismatch as exc:
        _echo_counts(exc.counts, "source -> target")
        raise click.ClickException(f"Nothing written: {exc}.") from None
    except transfer.TransferError as exc:
        raise click.ClickException(f"Nothing written: {exc}.") from None
    _echo_counts(counts, "source -> target")
    rows = sum(c.copy for c in counts)
    seconds = time.monotonic() - started
    click.echo(f"Done: {rows} rows in {seconds:.1f} s ({rows / seconds:.0f} rows/s). "
               "Point DATABASE_URL at the new database and restart the web app and the bot.")


def _echo_counts(counts, which: str) -> None:
    click.echo(f"Rows per table ({which}):")
    for c in counts:
        click.echo(f"  {c.table:<24} {c.original:>10} -> {c.copy}{'  DIFFERS' if c.differs else ''}")


@click.command("rebuild-stats")
@with_appcontext
def rebuild_stats() -> None:
    """Recount the dashboard's figures from the requests (needed after changing TIMEZONE)."""
    from app.services.statistics import request_stats
    count = request_stats.rebuild(db.session.connection(), current_app.config["TZ"])
    db.session.commit()
    click.echo(f"Dashboard figures recounted from {count} requests.")


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Write the database and every file under STORAGE_DIR to one archive (.tar, or .tar.gz), while
    the web app and the bot go on working."""
    from app.services.operations import backup
    started = time.monotonic()
    try:
        manifest = backup.backup(path, Path(current_app.config["STORAGE_DIR"]))
    except backup.BackupError as exc:
        raise click.ClickException(f"No backup written: {exc}.") from None
    rows = sum(manifest["counts"].values())
    click.echo(f"Backup written: {path} ({path.stat().st_size / 2**20:.1f} MB, {manifest['engine']} at "
               f"revision {', '.join(manifest['revision'])}, {rows} rows, {manifest['files']} files, "
               f"{time.monotonic() - started:.1f} s).")


@click.command("storage-check")
@with_appcontext
@click.option("--all", "show_all", is_flag=True, help="List every path (by default the first 100 of each kind).")
def storage_check_command(show_all: bool) -> None:
    """List the files under STORAGE_DIR that no row names (left by a crash, or after migration 0015)
    and the rows naming a file the store lacks. Deletes nothing; exits 1 when a row lacks its file."""
    from app.services import storage_check
    report = storage_check.check(Path(current_app.config["STORAGE_DIR"]))
    for line in report.lines(None if show_all else 100):
        click.echo(line)
    if report.missing:
        raise SystemExit(1)


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(path: Path) -> None:
    """Restore an archive of `flask backup` into the EMPTY database of DATABASE_URL and STORAGE_DIR,
    then compare the rows of every table with the backup's."""
    from app.health import migration_heads
    from app.services.operations import backup
    started = time.monotonic()
    try:
        manifest, counts = backup.restore(path, Path(current_app.config["STORAGE_DIR"]), echo=click.echo)
    except backup.CountMismatch as exc:
        _echo_counts(exc.counts, "backup -> restored")
        raise click.ClickException(f"{exc}: do not use this database; restore again into a new one.") from None
    except backup.BackupError as exc:
        raise click.ClickException(f"{exc}.") from None
    _echo_counts(counts, "backup -> restored")
    click.echo(f"Restored {sum(c.copy for c in counts)} rows and {manifest['files']} files from the backup "
               f"of {manifest['created_at']} in {time.monotonic() - started:.1f} s; every table's rows match.")
    if set(manifest["revision"]) != migration_heads():
        click.echo(f"The backup is at revision {', '.join(manifest['revision'])}, the code at "
                   f"{', '.join(sorted(migration_heads()))}: run `flask db upgrade` before starting the app.")


def init_app(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(import_clients)
    app.cli.add_command(import_meters)
    app.cli.add_command(seed_demo)
    app.cli.add_command(transfer_db)
    app.cli.add_command(rebuild_stats)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(storage_check_command)
