"""Hostile XML inside an uploaded .xlsx (not spreadsheets, zip bombs and oversized files are
in tests/web/test_admin_import.py): an entity bomb and an external entity are refused."""
import io
import zipfile

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Client
from devtools.spreadsheets import xlsx
from tests.services.files import ROWS

SHEET = "xl/worksheets/sheet1.xml"
FIRST_NAME = "<t>Иванов".encode()


def with_sheet_prefix(dtd: bytes, entity: bytes) -> bytes:
    """A real workbook whose sheet declares `dtd` and uses `entity` in the first client's name."""
    source = zipfile.ZipFile(io.BytesIO(xlsx(ROWS)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == SHEET:
                assert FIRST_NAME in body
                body = dtd + body.replace(FIRST_NAME, b"<t>" + entity + FIRST_NAME[3:], 1)
            archive.writestr(info.filename, body)
    return out.getvalue()


def entity_bomb() -> bytes:
    """"Billion laughs": nine levels of ten references, 10**9 copies of the innermost text."""
    levels = [b'<!ENTITY l0 "laughlaugh">'] + [
        b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10)]
    return with_sheet_prefix(b"<!DOCTYPE worksheet [" + b"".join(levels) + b"]>", b"&l9;")


@pytest.mark.sqlite_only  # file parsing happens before anything reaches the database
@pytest.mark.parametrize("kind", ["bomb", "external"])
def test_hostile_xml_in_a_workbook_is_refused(admin, tmp_path, kind):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    if kind == "bomb":
        data = entity_bomb()
    else:
        data = with_sheet_prefix(b'<!DOCTYPE worksheet [<!ENTITY s SYSTEM "file://%s">]>' % str(secret).encode(),
                                 b"&s;")
    response = admin.post("/admin/clients/import", {"file": (io.BytesIO(data), "clients.xlsx")},
                          content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Файл не импортирован" in html and "Не удалось прочитать файл Excel" in html
    assert "TOP-SECRET-VALUE" not in html and "laughlaugh" not in html
    assert db.session.execute(select(func.count()).select_from(Client)).scalar_one() == 0
