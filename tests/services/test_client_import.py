"""Client import: reading xlsx/csv, per-row validation, create-or-update by ЛС, fatal errors, CLI."""
import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import Client
from app.services.people import client_file
from app.services.people import client_import
from app.services.people.client_file import ImportFailed, read_rows
from app.services.people.client_import import import_clients
from devtools.spreadsheets import HEADER, csv_bytes, xlsx
from tests.services.files import ROWS, zip_bomb


def _accounts():
    return db.session.execute(select(Client.account).order_by(Client.account)).scalars().all()


# --- reading (no database needed) ------------------------------------------------------------

@pytest.mark.parametrize("data,name", [
    (xlsx(ROWS), "clients.xlsx"),
    (csv_bytes(ROWS, delimiter=";", encoding="cp1251"), "clients.csv"),
    (csv_bytes(ROWS, delimiter=",", encoding="utf-8"), "clients.csv"),
    (csv_bytes(ROWS, delimiter=";", encoding="utf-8", bom=True), "clients.csv"),
    (csv_bytes(ROWS, delimiter="\t", encoding="utf-16", bom=False), "clients.txt"),  # utf-16 codec writes a BOM
    (b"sep=;\r\n" + csv_bytes(ROWS, delimiter=";"), "clients.csv"),
    (xlsx(ROWS, title="Реестр лицевых счетов на 01.03"), "clients.xlsx"),
    (csv_bytes(ROWS), "CLIENTS.CSV"),
    (csv_bytes(ROWS), "no-extension"),
])
def test_reads_every_supported_format(data, name):
    columns, ignored, rows = read_rows(data, name)
    assert set(columns) == {"full_name", "city", "street", "house", "house_letter", "apartment",
                            "phone", "contract_number", "account"}
    cells = [[str(c) if c is not None else "" for c in row] for _, row in rows]
    assert [row[columns["account"]] for row in cells] == ["100001", "100002", "100003"]
    assert cells[1][columns["full_name"]] == "Петрова Анна Сергеевна"
    assert ignored == []


@pytest.mark.parametrize("header", [
    ["фио", "улица", "дом", "лицевой счет"],
    ["Ф.И.О.", "Улица", "Дом №", "Л/С"],
    ["  ФИО  ", "УЛИЦА", "Номер дома", "№ ЛС"],
    ["Собственник", "Улица", "Дом", "Номер лицевого счёта"],
])
def test_header_variants(header):
    data = csv_bytes([["Иванов", "Мира", "1", "42"]], header=header, encoding="utf-8")
    columns, _, rows = read_rows(data, "x.csv")
    assert columns == {"full_name": 0, "street": 1, "house": 2, "account": 3}


def test_unknown_columns_are_ignored_and_reported():
    data = csv_bytes([["Иванов", "Мира", "1", "42", "долг"]],
                     header=["ФИО", "Улица", "Дом", "ЛС", "Примечание"], encoding="utf-8")
    assert read_rows(data, "x.csv")[1] == ["Примечание"]


def test_line_numbers_match_the_spreadsheet():
    data = xlsx([ROWS[0], [None] * 9, ROWS[1]], title="Реестр")
    _, _, rows = read_rows(data, "x.xlsx")
    assert [line for line, _ in rows] == [4, 6]  # title, blank, header, row, blank, row


@pytest.mark.parametrize("data,name,message", [
    (b"", "x.csv", "Файл пустой"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old.xls", "Excel 97–2003 (.xls)"),
    (b"%PDF-1.4\n%...", "scan.pdf", "Это не таблица"),
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "photo.csv", "не похож на текстовую таблицу"),
    (b"just some text", "book.xlsx", "не книга Excel"),
    (b"PK\x03\x04broken", "book.xlsx", "не книга Excel"),
    ("ФИО;Улица;Дом;ЛС\nИванов;Мира;1;42\n".encode("koi8_r"), "x.csv", "кодировке KOI8-R"),
    ("ФИО;Улица;Дом;ЛС\nИванов;Мира;1;42\n".encode("cp866"), "x.csv", "DOS (CP866)"),
    ("ФИО;Улица;Дом;ЛС\nИванов;Мира;1;42\n".encode("utf-8") + b"\xff\xfe\n", "x.csv",
     "UTF-8, но в строке 3 есть повреждённые символы"),
    ("ФИО;Город\nИванов;Самара\n".encode("utf-8"), "x.csv", "нет обязательных столбцов: «Лицевой счёт», «Улица», «Дом»"),
    ("Имя;Фамилия\nИван;Иванов\n".encode("utf-8"), "x.csv", "Не найдена строка заголовков"),
    ("ФИО;Улица;Дом;ЛС;ЛС\n".encode("utf-8"), "x.csv", "Столбцы повторяются: «Лицевой счёт»"),
    (xlsx([], header=["Имя", "Адрес"]), "x.xlsx", "Не найдена строка заголовков"),
])
def test_fatal_errors_say_why(data, name, message):
    with pytest.raises(ImportFailed) as failure:
        read_rows(data, name)
    assert message in str(failure.value)


def test_zip_with_other_content_is_not_a_workbook():
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(ImportFailed, match="ZIP-архив, но не книга Excel"):
        read_rows(out.getvalue(), "letter.xlsx")


def test_zip_bomb_is_refused_before_unpacking():
    bomb = zip_bomb(client_file.MAX_XLSX_UNPACKED + (8 << 20))
    assert len(bomb) < 2 * 1024 * 1024
    with pytest.raises(ImportFailed, match="слишком большой объём"):
        read_rows(bomb, "clients.xlsx")


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr(client_file, "MAX_ROWS", 2)
    with pytest.raises(ImportFailed, match="больше 2 строк"):
        read_rows(csv_bytes(ROWS), "x.csv")


# --- importing -------------------------------------------------------------------------------

def test_import_creates_clients_with_normalised_phones(ctx):
    report = import_clients(xlsx(ROWS), "clients.xlsx")
    db.session.commit()
    assert (report.rows, report.created, report.updated, report.errors) == (3, 3, 0, [])
    client = db.session.execute(select(Client).where(Client.account == "100001")).scalar_one()
    assert (client.full_name, client.street, client.house, client.house_letter, client.apartment,
            client.phone, client.contract_number) == (
        "Иванов Иван Иванович", "ул. Ленина", "5", "А", "12", "+79123456789", "Д-1")


def test_numbers_typed_as_numbers_in_excel(ctx):
    rows = [["Иванов", "Самара", "Мира", 5, None, 12.0, 89123456789, 77, 100001.0]]
    report = import_clients(xlsx(rows), "x.xlsx")
    db.session.commit()
    assert report.created == 1
    client = db.session.execute(select(Client)).scalar_one()
    assert (client.account, client.house, client.apartment, client.phone, client.contract_number) == (
        "100001", "5", "12", "+79123456789", "77")


def test_bad_rows_are_reported_and_good_rows_imported(ctx):
    rows = [
        ROWS[0],                                                                  # line 2: ok
        ["Без ЛС", "Самара", "Мира", "1", "", "1", "", "", ""],                    # 3
        ["Буквы", "Самара", "Мира", "1", "", "2", "", "", "12АБ"],                 # 4
        ["", "Самара", "Мира", "1", "", "3", "", "", "100010"],                    # 5: no name
        ["Плохой телефон", "Самара", "Мира", "1", "", "4", "12-34", "", "100011"],  # 6
        ["Дубль", "Самара", "Мира", "1", "", "5", "", "", "100001"],               # 7: duplicate of line 2
        ["Без дома", "Самара", "Мира", "", "", "6", "", "", "100012"],             # 8
        ["Много бед", "Самара", "", "", "", "6", "x", "", "1 2 3"],                # 9: several reasons
        ROWS[1],                                                                  # 10: ok
    ]
    report = import_clients(csv_bytes(rows, encoding="utf-8"), "x.csv")
    db.session.commit()
    assert _accounts() == ["100001", "100002"]
    reasons = {e.line: e.reason for e in report.errors}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert "Укажите лицевой счёт" in reasons[3]
    assert "только из цифр" in reasons[4] and "«12АБ»" in reasons[4]
    assert "Не заполнено поле «ФИО»" in reasons[5]
    assert "Телефон «12-34»" in reasons[6]
    assert "повторяется в файле: он уже был в строке 2" in reasons[7]
    assert "Не заполнено поле «Дом»" in reasons[8]
    assert "«Улица»" in reasons[9] and "«Дом»" in reasons[9] and "Телефон" in reasons[9]
    assert report.errors[0].account == "" and report.errors[1].account == "12АБ"
    assert (report.rows, report.created) == (9, 2)


def test_existing_clients_are_updated_by_account(ctx):
    ctx.client(account="100001", full_name="Старое Имя", phone="+79990000000", contract_number="OLD")
    ctx.client(account="100002", full_name="Петрова Анна Сергеевна", city="Самара", street="пр. Мира",
               house="7", house_letter="", apartment="3", phone="+79170001122", contract_number="Д-2")
    report = import_clients(xlsx(ROWS), "x.xlsx")
    db.session.commit()
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    db.session.expire_all()
    client = db.session.execute(select(Client).where(Client.account == "100001")).scalar_one()
    assert (client.full_name, client.phone, client.contract_number) == (
        "Иванов Иван Иванович", "+79123456789", "Д-1")


def test_columns_missing_from_the_file_are_left_alone(ctx):
    ctx.client(account="100001", phone="+79990000000", contract_number="Д-OLD")
    data = csv_bytes([["Иванов Иван Иванович", "ул. Ленина", "5", "100001"]],
                     header=["ФИО", "Улица", "Дом", "ЛС"], encoding="utf-8")
    import_clients(data, "x.csv")
    db.session.commit()
    db.session.expire_all()
    client = db.session.execute(select(Client)).scalar_one()
    assert (client.phone, client.contract_number, client.apartment) == ("+79990000000", "Д-OLD", "12")


def test_dry_run_writes_nothing(ctx):
    ctx.client(account="100001", full_name="Старое Имя")
    report = import_clients(xlsx(ROWS), "x.xlsx", dry_run=True)
    db.session.commit()
    assert (report.created, report.updated) == (2, 1)
    db.session.expire_all()
    assert _accounts() == ["100001"]
    assert db.session.execute(select(Client.full_name)).scalar_one() == "Старое Имя"


def test_thousands_of_rows_use_bulk_lookups(ctx, app):
    ctx.client(account="100000")
    rows = [[f"Житель {i}", "Самара", "ул. Ленина", str(i % 50 + 1), "", str(i), "", "", str(100000 + i)]
            for i in range(3000)]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        report = import_clients(csv_bytes(rows, encoding="utf-8"), "big.csv")
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert (report.created, report.updated, report.errors) == (2999, 1, [])
    assert len(_accounts()) == 3000
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 3000 // client_import.LOOKUP_CHUNK + 1  # not one query per row
    assert len(statements) < 40


# --- the CLI ---------------------------------------------------------------------------------

def test_cli_imports_and_prints_the_report(runner, ctx, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_bytes(csv_bytes(ROWS + [["Плохой", "Самара", "Мира", "1", "", "1", "", "", "12x"]]))
    result = runner.invoke(args=["import-clients", str(path)])
    assert result.exit_code == 0, result.output
    assert "4 rows read, 3 created, 0 updated, 0 unchanged, 1 rejected" in result.output
    assert "line 5: Лицевой счёт должен состоять только из цифр" in result.output
    assert _accounts() == ["100001", "100002", "100003"]


def test_cli_dry_run(runner, ctx, tmp_path):
    path = tmp_path / "clients.xlsx"
    path.write_bytes(xlsx(ROWS))
    result = runner.invoke(args=["import-clients", "--dry-run", str(path)])
    assert result.exit_code == 0 and "Would import" in result.output
    assert _accounts() == []


@pytest.mark.parametrize("content", [b"%PDF-1.4", "ФИО;Улица;Дом;ЛС\n".encode("koi8_r")])
def test_cli_fatal_error_exits_nonzero_and_imports_nothing(runner, ctx, tmp_path, content):
    path = tmp_path / "clients.csv"
    path.write_bytes(content)
    result = runner.invoke(args=["import-clients", str(path)])
    assert result.exit_code == 1
    assert "Nothing imported:" in result.output
    assert _accounts() == []


def test_template_has_the_expected_header_and_round_trips(ctx):
    from io import BytesIO

    from openpyxl import load_workbook

    template = client_import.template_xlsx()
    sheet = load_workbook(BytesIO(template)).active
    assert [c.value for c in sheet[1]] == HEADER
    sheet.append(ROWS[0])
    out = BytesIO()
    sheet.parent.save(out)
    assert import_clients(out.getvalue(), "filled.xlsx").created == 1
