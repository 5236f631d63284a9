"""Client import from .xlsx and .csv files: the web upload and `flask import-clients` use this.

Strict about the file, lenient about rows: client_file.py reads the file and
raises ImportFailed when it cannot (nothing is written); here a bad row is
reported with its line number and reason, and the good rows are imported
(created or updated by ЛС). Columns missing from the file leave the existing
values untouched.
"""
import io
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Client, utcnow
from app.services.people.client_file import ImportFailed, cell_text, read_rows
from app.services.people.clients import FIELDS, REQUIRED, InvalidAccount, max_length, normalise_account
from app.services.people.phones import InvalidPhone, normalise_phone

LOOKUP_CHUNK = 500


@dataclass
class RowError:
    line: int
    account: str
    reason: str


@dataclass
class ImportReport:
    filename: str = ""
    rows: int = 0  # non-empty data rows read
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged

    def lines(self) -> list[str]:
        """The report as plain text lines (for the CLI)."""
        verb = "Would import" if self.dry_run else "Imported"
        out = [f"{verb} from {self.filename}: {self.rows} rows read, {self.created} created, "
               f"{self.updated} updated, {self.unchanged} unchanged, {len(self.errors)} rejected."]
        if self.ignored_columns:
            out.append("Ignored columns: " + ", ".join(self.ignored_columns))
        out += [f"  line {e.line}: {e.reason}" + (f" (ЛС {e.account})" if e.account else "")
                for e in self.errors]
        return out


def validate_row(cells: list, columns: dict[str, int]) -> dict[str, str]:
    """Clean one row into client fields, or raise ValueError listing every problem."""
    values, problems = {}, []
    for name, index in columns.items():
        values[name] = cell_text(cells[index]) if index < len(cells) else ""
    try:
        values["account"] = normalise_account(values["account"])
    except InvalidAccount as exc:
        problems.append(str(exc) + (f" Указано: «{values['account'][:40]}»." if values["account"] else ""))
    for name in REQUIRED:
        if name != "account" and not values.get(name):
            problems.append(f"Не заполнено поле «{FIELDS[name]}».")
    if values.get("phone"):
        try:
            values["phone"] = normalise_phone(values["phone"])
        except InvalidPhone as exc:
            reason = str(exc)
            problems.append(f"Телефон «{values['phone'][:40]}»: {reason[:1].lower()}{reason[1:]}")
    for name, value in values.items():
        if len(value) > max_length(name) and name != "account":
            problems.append(f"Поле «{FIELDS[name]}» длиннее {max_length(name)} символов.")
    if problems:
        raise ValueError(" ".join(problems))
    return values


def import_clients(data: bytes, filename: str, *, dry_run: bool = False) -> ImportReport:
    """Read, validate and write the file; the caller commits. Raises ImportFailed."""
    columns, ignored, rows = read_rows(data, filename)
    report = ImportReport(filename=filename, ignored_columns=ignored, dry_run=dry_run)
    good: dict[str, dict] = {}
    first_line: dict[str, int] = {}
    for line, cells in rows:
        report.rows += 1
        raw_account = cell_text(cells[columns["account"]]) if columns["account"] < len(cells) else ""
        try:
            values = validate_row(cells, columns)
        except ValueError as exc:
            report.errors.append(RowError(line, raw_account[:40], str(exc)))
            continue
        account = values["account"]
        if account in good:
            report.errors.append(RowError(
                line, account, f"Лицевой счёт повторяется в файле: он уже был в строке {first_line[account]}."))
            continue
        good[account] = values
        first_line[account] = line

    existing = _existing_clients(list(good))
    new_rows, now = [], utcnow()
    for account, values in good.items():
        client = existing.get(account)
        if client is None:
            report.created += 1
            new_rows.append({**{f: "" for f in FIELDS}, **values, "created_at": now, "updated_at": now})
            continue
        changed = {f: v for f, v in values.items() if getattr(client, f) != v}
        if not changed:
            report.unchanged += 1
            continue
        report.updated += 1
        if not dry_run:
            for name, value in changed.items():
                setattr(client, name, value)
            client.updated_at = now
    if dry_run:
        return report
    try:
        if new_rows:
            db.session.execute(insert(Client), new_rows)
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ImportFailed("Во время импорта другой пользователь изменил клиентов с теми же ЛС. "
                           "Ничего не импортировано: повторите загрузку.") from None
    return report


def _existing_clients(accounts: list[str]) -> dict[str, Client]:
    """One query per chunk of accounts, not one per row."""
    found = {}
    for start in range(0, len(accounts), LOOKUP_CHUNK):
        chunk = accounts[start:start + LOOKUP_CHUNK]
        for client in db.session.execute(select(Client).where(Client.account.in_(chunk))).scalars():
            found[client.account] = client
    return found


def template_xlsx() -> bytes:
    """An empty workbook with the expected header, the ЛС column formatted as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "Клиенты"
    widths = {"full_name": 34, "street": 26, "account": 16, "phone": 18, "contract_number": 14}
    for index, (name, title) in enumerate(FIELDS.items(), start=1):
        cell = sheet.cell(row=1, column=index, value=title)
        cell.font = Font(bold=True)
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = widths.get(name, 11)
        if name in ("account", "phone", "contract_number", "house", "apartment"):
            for row in range(2, 1002):  # keep leading zeros and long numbers as typed
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
