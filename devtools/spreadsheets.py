"""Client files as people send them: xlsx workbooks and CSV in various encodings (tests, benches)."""
import io

from openpyxl import Workbook

from app.services.people.clients import FIELDS

HEADER = list(FIELDS.values())  # the import's own column titles, in its template's order


def client_row(client: dict) -> list[str]:
    """A client's fields (as demo_data.client_rows gives them) in HEADER order."""
    return [client[name] for name in FIELDS]


def xlsx(rows, header=HEADER, title=None) -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, header=HEADER, delimiter=";", encoding="cp1251", bom=False) -> bytes:
    def cell(value):
        text = str(value)
        return f'"{text}"' if delimiter in text or '"' in text else text

    text = "\r\n".join(delimiter.join(cell(v) for v in row) for row in [header, *rows]) + "\r\n"
    data = text.encode(encoding)
    return ("\ufeff".encode(encoding) if bom else b"") + data
