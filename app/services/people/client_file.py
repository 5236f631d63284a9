"""Reading a client list: an uploaded .xlsx or .csv file into rows under a known header.

Strict about the file: one that cannot be read (not a spreadsheet, an old .xls,
a wrong encoding, no header with the required columns, a zip bomb, too many rows)
raises ImportFailed with a Russian message saying why. The rows themselves are
checked by client_import.py.
"""
import codecs
import csv
import io
import warnings
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from app.services.people.clients import FIELDS, REQUIRED

MAX_ROWS = 100_000
# An .xlsx is a zip: refuse archives that would unpack into more than this (zip bombs).
MAX_XLSX_UNPACKED = 200 * 1024 * 1024
MAX_XLSX_MEMBERS = 1000
HEADER_SEARCH_ROWS = 10  # the header may sit under a title line or two
MAX_COLUMNS = 100

# Header spellings accepted for each field, compared after _header_key().
HEADER_ALIASES = {
    "account": {"лицевойсчет", "лс", "лицевой", "лицсчет", "номерлицевогосчета", "номерлс",
                "лицевойсчетн", "счет", "account"},
    "full_name": {"фио", "фамилияимяотчество", "владелец", "собственник", "абонент",
                  "потребитель", "fullname", "name"},
    "city": {"город", "населенныйпункт", "нп", "city"},
    "street": {"улица", "street"},
    "house": {"дом", "номердома", "house"},
    "house_letter": {"литера", "литерадома", "буква", "letter"},
    "apartment": {"квартира", "кв", "номерквартиры", "помещение", "apartment", "flat"},
    "phone": {"телефон", "тел", "номертелефона", "мобильныйтелефон", "контактныйтелефон",
              "телефонмобильный", "phone"},
    "contract_number": {"договора", "номердоговора", "договор", "договорн", "contract"},
}


@dataclass(frozen=True)
class Layout:
    """What a file's header must name: each field's accepted spellings, the required ones, their titles.
    Clients by default; other imports (meters) bring their own."""

    aliases: dict
    required: tuple
    titles: dict


CLIENTS = Layout(HEADER_ALIASES, REQUIRED, FIELDS)

# Encodings people save Russian CSV in by mistake; recognised only to say so.
FOREIGN_ENCODINGS = {"koi8_r": "KOI8-R", "cp866": "DOS (CP866)", "mac_cyrillic": "Mac Cyrillic"}
SUPPORTED_ENCODINGS_HINT = "Сохраните файл в кодировке UTF-8 или Windows-1251 (в Excel: «CSV UTF-8»)."


class ImportFailed(Exception):
    """The whole file is refused; the message (Russian) says why."""


def read_rows(data: bytes, filename: str, layout: Layout = CLIENTS
              ) -> tuple[dict[str, int], list[str], list[tuple[int, list]]]:
    """Parse the file into (field -> column index, ignored headers, [(line, cells)])."""
    if not data:
        raise ImportFailed("Файл пустой.")
    name = (filename or "").lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, layout)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFailed("Это файл старого формата Excel 97–2003 (.xls) или Word. "
                           "Откройте его в Excel и сохраните как «Книга Excel (.xlsx)» или CSV.")
    if ext in ("xlsx", "xlsm"):
        raise ImportFailed("Файл повреждён или это не книга Excel (.xlsx).")
    if ext not in ("csv", "txt", ""):
        raise ImportFailed("Это не таблица: загрузите файл .xlsx или .csv.")
    return _read_csv(data, layout)


def _read_xlsx(data: bytes, layout: Layout):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportFailed("Файл повреждён или это не книга Excel (.xlsx).") from None
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        raise ImportFailed("Это ZIP-архив, но не книга Excel (.xlsx). Загрузите файл .xlsx или .csv.")
    # Declared sizes bound what zipfile will ever unpack, so checking them stops zip bombs.
    if len(members) > MAX_XLSX_MEMBERS or sum(m.file_size for m in members) > MAX_XLSX_UNPACKED:
        raise ImportFailed("Файл Excel распаковывается в слишком большой объём данных. "
                           "Разделите его на части или сохраните как CSV.")
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():  # files from other programs make openpyxl chatty
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                found = None
                for sheet in book.worksheets[:10]:
                    sheet.reset_dimensions()  # never trust the declared size of the sheet
                    rows = _numbered(sheet.iter_rows(values_only=True))
                    result = _split_header(rows, layout)
                    if result[0] is not None:
                        found = result
                        break
                    if found is None:
                        found = result  # keep the first sheet's diagnosis
                columns, ignored, rows, header_problem = found
                if columns is None:
                    raise ImportFailed(header_problem)
                return columns, ignored, _limited(rows)
            finally:
                book.close()
    except ImportFailed:
        raise
    except Exception:  # openpyxl raises many types on malformed files; all mean "unreadable"
        raise ImportFailed("Не удалось прочитать файл Excel: он повреждён или сохранён не как .xlsx.") from None


def _numbered(rows):
    for line, cells in enumerate(rows, start=1):
        yield line, list(cells[:MAX_COLUMNS])


def _limited(rows) -> list[tuple[int, list]]:
    out = []
    for line, cells in rows:
        if _is_blank(cells):
            continue
        out.append((line, cells))
        if len(out) > MAX_ROWS:
            raise ImportFailed(f"В файле больше {MAX_ROWS:_} строк. Разделите его на части.".replace("_", " "))
    return out


def _read_csv(data: bytes, layout: Layout):
    text, encoding = _decode(data)
    if "\x00" in text:
        raise ImportFailed("Файл не похож на текстовую таблицу CSV. " + SUPPORTED_ENCODINGS_HINT)
    if text.lower().startswith("sep="):  # Excel's delimiter hint line
        delimiters = [text[4:5] or ";"]
    else:
        delimiters = [";", ",", "\t"]
    first_problem = None
    try:
        for delimiter in delimiters:
            columns, ignored, rows, problem = _split_header(_csv_rows(text, delimiter), layout)
            if columns is not None:
                return columns, ignored, _limited(rows)
            first_problem = first_problem or problem
    except csv.Error as exc:
        raise ImportFailed(f"Файл CSV повреждён: {exc}.") from None
    raise ImportFailed(_explain_encoding(data, encoding, layout) or f"{first_problem} {SUPPORTED_ENCODINGS_HINT}")


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "cp1251"]
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    if encodings[0] == "utf-8":  # neither UTF-8 nor cp1251: most likely damaged UTF-8
        raise ImportFailed(_broken_utf8(data))
    raise ImportFailed("Не удалось прочитать текст файла. " + SUPPORTED_ENCODINGS_HINT)


def _broken_utf8(data: bytes) -> str:
    try:
        data.decode("utf-8")
        return ""
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
    return (f"Файл в кодировке UTF-8, но в строке {line} есть повреждённые символы. "
            "Проверьте эту строку и сохраните файл заново.")


def _explain_encoding(data: bytes, used: str, layout: Layout) -> str | None:
    """When no header was found, say so precisely if the cause is the encoding."""
    if used != "cp1251":
        return None
    for codec, title in FOREIGN_ENCODINGS.items():
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _has_header(text, layout):
            return f"Файл сохранён в кодировке {title}. " + SUPPORTED_ENCODINGS_HINT
    if _has_header(data.decode("utf-8", errors="replace"), layout):
        return _broken_utf8(data) or None
    return None


def _has_header(text: str, layout: Layout) -> bool:
    for delimiter in (";", ",", "\t"):
        try:
            if _split_header(_csv_rows(text, delimiter), layout)[0] is not None:
                return True
        except csv.Error:
            continue
    return False


def _csv_rows(text: str, delimiter: str):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    last = 0
    for cells in reader:
        line, last = last + 1, reader.line_num
        yield line, cells[:MAX_COLUMNS]


def _split_header(rows, layout: Layout):
    """Find the header among the first rows: (columns, ignored, remaining rows, problem)."""
    best = None
    for seen, (line, cells) in enumerate(rows):
        if seen >= HEADER_SEARCH_ROWS:
            break
        if _is_blank(cells):
            continue
        columns, ignored, duplicates = _map_header(cells, layout)
        missing = [f for f in layout.required if f not in columns]
        if columns and not missing:
            if duplicates:
                return None, [], iter(()), (
                    "Столбцы повторяются: " + ", ".join(f"«{layout.titles[f]}»" for f in duplicates)
                    + f" (строка {line}). Оставьте по одному.")
            return columns, ignored, rows, None
        if columns and (best is None or len(columns) > best[0]):
            best = (len(columns), line, missing)
    required = ", ".join(f"«{layout.titles[f]}»" for f in layout.required)
    if best is not None:
        _, line, missing = best
        return None, [], iter(()), (
            f"В строке заголовков (строка {line}) нет обязательных столбцов: "
            + ", ".join(f"«{layout.titles[f]}»" for f in missing) + ". Скачайте шаблон и сверьте названия.")
    return None, [], iter(()), (
        f"Не найдена строка заголовков. Первая строка файла должна содержать названия столбцов; "
        f"обязательные: {required}.")


def _header_key(text) -> str:
    return "".join(ch for ch in str(text or "").lower().replace("ё", "е") if ch.isalnum())


def _map_header(cells, layout: Layout):
    columns: dict[str, int] = {}
    ignored, duplicates = [], []
    for index, cell in enumerate(cells):
        key = _header_key(cell)
        if not key:
            continue
        name = next((f for f, aliases in layout.aliases.items() if key in aliases), None)
        if name is None:
            ignored.append(str(cell).strip())
        elif name in columns:
            duplicates.append(name)
        else:
            columns[name] = index
    return columns, ignored, duplicates


def _is_blank(cells) -> bool:
    return all(cell_text(c) == "" for c in cells)


def cell_text(value) -> str:
    """A cell as text: Excel hands numbers over as int/float (ЛС 1001.0 means "1001")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y") if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return " ".join(str(value).split())
