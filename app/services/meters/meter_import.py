"""Meter import from .xlsx and .csv files: the web upload and `flask import-meters` use this.

The file is read as the client import reads it (app.services.people.client_file: title rows,
numbers Excel made of ЛС and serials, encodings, zip bombs), and reported the same way
(client_import.ImportReport): every rejected row with its line and reason, the good rows
imported. A meter is matched by ЛС, resource and serial: an existing one is updated."""
import io
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Client
from app.models.meters import RESOURCES, Meter
from app.services.meters import meters as meter_service
from app.services.meters import window
from app.services.people.client_file import ImportFailed, Layout, cell_text, read_rows
from app.services.people.client_import import ImportReport, RowError
from app.services.people.clients import InvalidAccount, normalise_account

__all__ = ["ImportFailed", "import_meters", "template_xlsx", "LAYOUT"]

TITLES = {
    "account": "Лицевой счёт",
    "resource": "Ресурс",
    "serial": "Заводской номер",
    "place": "Место установки",
    "int_digits": "Цифр до запятой",
    "frac_digits": "Цифр после запятой",
    "verification_due": "Дата поверки",
    "initial_date": "Дата начальных показаний",
    "initial1": "Начальное показание",
    "initial2": "Начальное показание (тариф 2)",
    "initial3": "Начальное показание (тариф 3)",
}
LAYOUT = Layout(
    aliases={
        "account": {"лицевойсчет", "лс", "лицевой", "номерлс", "номерлицевогосчета", "account"},
        "resource": {"ресурс", "услуга", "видсчетчика", "типсчетчика", "resource"},
        "serial": {"заводскойномер", "номерсчетчика", "серийныйномер", "зав", "заводской", "serial"},
        "place": {"местоустановки", "место", "помещение", "place"},
        "int_digits": {"цифрдозапятой", "разрядность", "разрядностьдозапятой", "intdigits"},
        "frac_digits": {"цифрпослезапятой", "разрядностьпослезапятой", "fracdigits"},
        "verification_due": {"датаповерки", "следующаяповерка", "поверка", "межповерочныйинтервалдо",
                             "verificationdue"},
        "initial_date": {"датаначальныхпоказаний", "датаустановки", "датаначальныхпоказании", "initialdate"},
        "initial1": {"начальноепоказание", "начальныепоказания", "показание", "тариф1", "т1", "initial"},
        "initial2": {"начальноепоказаниетариф2", "тариф2", "т2", "initial2"},
        "initial3": {"начальноепоказаниетариф3", "тариф3", "т3", "initial3"},
    },
    required=("account", "resource", "serial", "initial1"),
    titles=TITLES,
)
DEFAULT_INT_DIGITS, DEFAULT_FRAC_DIGITS = 8, 3  # lenient when the file does not say
RESOURCE_NAMES = {key: code for code, r in RESOURCES.items()
                  for key in (code, r.title.casefold().replace("ё", "е"))}
RESOURCE_NAMES.update({"холодная вода": "cold", "горячая вода": "hot", "электричество": "power",
                       "электроэнергия (однотарифный)": "power", "теплоэнергия": "heat", "тепло": "heat"})


def resource_code(text: str) -> str | None:
    return RESOURCE_NAMES.get(" ".join(text.casefold().replace("ё", "е").split()))


def parse_date(value) -> date | None:
    """A date cell (Excel's) or text: 31.12.2027, 2027-12-31; None when empty; ValueError otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _cell(cells: list, columns: dict, name: str):
    index = columns.get(name)
    return cells[index] if index is not None and index < len(cells) else None


def validate_row(cells: list, columns: dict) -> tuple[str, meter_service.MeterData]:
    """(ЛС, the meter) of one row, or ValueError listing every problem."""
    problems = []
    raw_account = cell_text(_cell(cells, columns, "account"))
    try:
        account = normalise_account(raw_account)
    except InvalidAccount as exc:
        account = ""
        problems.append(str(exc))
    resource_text = cell_text(_cell(cells, columns, "resource"))
    resource = resource_code(resource_text) or ""
    if not resource:
        problems.append(f"Ресурс «{resource_text[:40]}» не распознан: укажите "
                        + ", ".join(f"«{r.title}»" for r in RESOURCES.values()) + ".")
    dates = {}
    for name in ("verification_due", "initial_date"):
        try:
            dates[name] = parse_date(_cell(cells, columns, name))
        except ValueError as exc:
            dates[name] = None
            problems.append(f"«{TITLES[name]}»: «{str(exc)[:20]}» — не дата (нужно ДД.ММ.ГГГГ).")
    digits = [cell_text(_cell(cells, columns, name)) for name in ("int_digits", "frac_digits")]
    int_digits = digits[0] or DEFAULT_INT_DIGITS
    frac_digits = digits[1] or DEFAULT_FRAC_DIGITS
    initial = [cell_text(_cell(cells, columns, f"initial{i}")) for i in (1, 2, 3)]
    data = None
    if resource:  # the meter's own check needs a known resource
        try:
            data = meter_service.check(resource, cell_text(_cell(cells, columns, "serial")),
                                       cell_text(_cell(cells, columns, "place")), int_digits, frac_digits,
                                       dates["verification_due"], dates["initial_date"] or window.today(),
                                       initial[:RESOURCES[resource].rate_count])
        except meter_service.MeterInvalid as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError(" ".join(problems))
    return account, data


def import_meters(data: bytes, filename: str, *, dry_run: bool = False) -> ImportReport:
    """Read, check and write the file; the caller commits. Raises ImportFailed."""
    columns, ignored, rows = read_rows(data, filename, LAYOUT)
    report = ImportReport(filename=filename, ignored_columns=ignored, dry_run=dry_run)
    good: list[tuple[int, str, meter_service.MeterData]] = []
    first_line: dict[str, int] = {}
    for line, cells in rows:
        report.rows += 1
        raw_account = cell_text(_cell(cells, columns, "account"))[:40]
        try:
            account, meter = validate_row(cells, columns)
        except ValueError as exc:
            report.errors.append(RowError(line, raw_account, str(exc)))
            continue
        key = meter.serial.casefold()
        if key in first_line:
            report.errors.append(RowError(line, account, f"Заводской номер {meter.serial} повторяется в файле: "
                                                         f"он уже был в строке {first_line[key]}."))
            continue
        first_line[key] = line
        good.append((line, account, meter))

    clients = _clients([account for _, account, _ in good])
    in_use = _meters_in_use([data.serial for _, _, data in good])
    for line, account, data in good:
        client_id = clients.get(account)
        if client_id is None:
            report.errors.append(RowError(line, account, f"Лицевой счёт {account} не найден среди клиентов: "
                                                         "сначала импортируйте клиентов."))
            continue
        same = [m for m in in_use.get(data.serial, []) if m.resource == data.resource]
        elsewhere = [m for m in same if m.client_id != client_id]
        if elsewhere:
            report.errors.append(RowError(line, account, f"Счётчик с заводским номером {data.serial} уже числится "
                                                         f"на лицевом счёте {elsewhere[0].client.account}."))
            continue
        if same:
            meter = same[0]
            if _unchanged(meter, data):
                report.unchanged += 1
                continue
            try:
                if not dry_run:
                    meter_service.edit(meter, data)
                else:
                    meter_service.check_edit(meter, data)
            except meter_service.MeterInvalid as exc:
                report.errors.append(RowError(line, account, str(exc)))
                continue
            report.updated += 1
            continue
        report.created += 1
        if not dry_run:
            meter_service.add(client_id, data, flush=False)
    if not dry_run:
        db.session.flush()
    return report


def _unchanged(meter: Meter, data: meter_service.MeterData) -> bool:
    return (meter.place, meter.int_digits, meter.frac_digits, meter.verification_due, meter.initial_date,
            meter.initial) == (data.place, data.int_digits, data.frac_digits, data.verification_due,
                               data.initial_date, data.initial)


def _meters_in_use(serials: list[str]) -> dict[str, list[Meter]]:
    """The meters in use with these serials, one query per chunk, not one per row."""
    found: dict[str, list[Meter]] = {}
    unique = sorted(set(serials))
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        for meter in db.session.execute(select(Meter).where(Meter.serial.in_(chunk), Meter.active)
                                        .options(selectinload(Meter.client))).scalars():
            found.setdefault(meter.serial, []).append(meter)
    return found


def _clients(accounts: list[str]) -> dict[str, int]:
    found = {}
    unique = sorted(set(accounts))
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        found.update(db.session.execute(select(Client.account, Client.id).where(Client.account.in_(chunk))).all())
    return found


def template_xlsx() -> bytes:
    """An empty workbook with the expected header (ЛС and serials as text), and the resources' names."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "Счётчики"
    for index, (name, title) in enumerate(TITLES.items(), start=1):
        cell = sheet.cell(row=1, column=index, value=title)
        cell.font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(title) + 2)
        if name in ("account", "serial"):
            for row in range(2, 1002):  # keep leading zeros and long numbers as typed
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    names = book.create_sheet("Ресурсы")
    names.append(["Ресурс", "Тарифов", "Единица"])
    for r in RESOURCES.values():
        names.append([r.title, r.rate_count, r.unit])
    names.column_dimensions["A"].width = 34
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
