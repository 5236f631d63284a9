"""Excel export over HTTP: exactly the filtered, sorted rows of every page, the visible
columns, real dates, formulas kept as text, per-user jobs."""
import io
import re
import secrets
import tempfile
import time
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.journal import export, workbook
from app.journal.columns import BY_KEY
from app.models import ExportJob, Request, StaffUser, StoredFile, utcnow
from app.services import storage
from app.xlsx import XLSX_MIME
from tests.journal.seed import SPECS

JOB = re.compile(r'/journal/export/([A-Za-z0-9_-]{16})')


def run_export(staff, **filters) -> str:
    """Start an export as the page does, wait for its job, return the job id."""
    response = staff.post("/journal/export", data=filters, headers={"HX-Request": "true"})
    assert response.status_code == 200
    job_id = JOB.search(response.get_data(as_text=True)).group(1)
    export.wait(job_id)
    return job_id


def cell_of(sheet, title: str, row: int = 2):
    """The cell of the column titled `title` (the default columns move as columns are added)."""
    titles = [cell.value for cell in sheet[1]]
    return sheet.cell(row=row, column=titles.index(title) + 1)


def download(staff, job_id):
    status = staff.page(f"/journal/export/{job_id}")
    assert "Файл готов" in status
    response = staff.get(f"/journal/export/{job_id}/file")
    assert response.status_code == 200
    return response, load_workbook(io.BytesIO(response.data)).active


def test_export_has_the_visible_columns_and_every_filtered_row_in_order(app, staff):
    with app.app_context():
        from tests.journal.seed import seed_journal
        journal = seed_journal(extra=60)
    query = {"category": str(journal.ids["category:plumbing"]), "sort": "client", "per_page": "25"}
    url = "/?" + "&".join(f"{k}={v}" for k, v in query.items())
    shown = staff.numbers(url) + staff.numbers(url + "&page=2")  # 45 plumbing requests: two pages
    assert len(shown) == 45 and len(set(shown)) == 45

    response, sheet = download(staff, run_export(staff, **query, page="2"))
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Номер", "Новые сообщения", "Авария", "Создана", "Статус", "Просрочка", "Срок выполнения", "Категория",
                       "Подкатегория", "ФИО клиента", "ЛС", "Улица", "Дом", "Кв.", "Телефон", "Исполнитель", "Описание")
    assert [row[0] for row in rows[1:]] == shown  # all pages, the journal's order
    assert all(row[rows[0].index("Категория")] == "Сантехника" for row in rows[1:])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:Q{len(rows)}"  # the 17 columns, every row
    assert response.mimetype == XLSX_MIME
    assert response.headers["Cache-Control"] == "private, no-store"


def test_export_cells_are_typed(staff, journal):
    response, sheet = download(staff, run_export(staff, number=str(journal.number(2))))
    header, row = [c.value for c in sheet[1]], sheet[2]
    cells = dict(zip(header, row))
    assert cells["Номер"].value == journal.number(2) and cells["Номер"].data_type == "n"
    created = cells["Создана"]
    assert created.is_date and created.number_format == "DD.MM.YYYY HH:MM"
    assert created.value == datetime(2024, 3, 3, 12, 0)  # 09:00 UTC shown in Moscow time
    assert cells["Статус"].value == "в работе"
    assert cells["ФИО клиента"].value == "ПЕТРОВА Ольга Сергеевна"
    assert cells["Исполнитель"].value == "Сидоров Семён"
    assert all(c.font.bold for c in sheet[1])


@pytest.mark.parametrize("index,text", [
    (3, '=HYPERLINK("http://evil.example","нажми")'),
    (5, "+7 900 звонить после 18"),
    (7, "-5 градусов в квартире"),
    (8, "@всем\tвнимание"),
])
def test_formula_like_text_is_written_as_text(staff, journal, index, text):
    _, sheet = download(staff, run_export(staff, number=str(journal.number(index))))
    cell = cell_of(sheet, "Описание")
    assert cell.value == text
    assert cell.data_type == "s" and cell.quotePrefix  # never a formula, even after editing in Excel
    phone = cell_of(sheet, "Телефон")
    assert phone.value.startswith("+7") and phone.data_type == "s"


def test_tab_and_control_characters(app, staff, journal):
    with app.app_context():
        req = db.session.get(Request, journal.requests[0][0])
        req.description = "\t=1+1 и\x01 символ\x1f"
        db.session.commit()
    _, sheet = download(staff, run_export(staff, number=str(journal.number(0))))
    cell = cell_of(sheet, "Описание")
    assert cell.value == "\t=1+1 и символ" and cell.data_type == "s"


def test_export_follows_the_users_columns(staff, journal):
    staff.post("/journal/columns", data={"columns": ["status", "city", "updated_at"]})
    _, sheet = download(staff, run_export(staff, status="new"))
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Номер", "Статус", "Город", "Изменена")
    assert [r[0] for r in rows[1:]] == [journal.number(i) for i in (7, 3, 0)]
    assert all(isinstance(r[3], datetime) for r in rows[1:])


def test_export_file_name_has_the_date_in_russian_and_ascii(staff, journal):
    response, _ = download(staff, run_export(staff))
    disposition = response.headers["Content-Disposition"]
    today = datetime.now().strftime("%Y-%m-")
    match = re.fullmatch(r'attachment; filename="zayavki_(\d{4}-\d\d-\d\d_\d\d-\d\d)\.xlsx"; '
                         r"filename\*=UTF-8''(.+)", disposition)
    assert match and match.group(1).startswith(today[:4])
    assert match.group(2) == quote(f"Заявки_{match.group(1)}.xlsx", safe="")


def test_empty_result_still_exports_a_header(staff, journal):
    _, sheet = download(staff, run_export(staff, status="done", category=str(journal.ids["category:electric"])))
    assert sheet.max_row == 1 and sheet.cell(1, 1).value == "Номер"


def test_jobs_belong_to_their_user(staff, journal):
    job_id = run_export(staff)
    assert staff.get(f"/journal/export/{job_id}/file").status_code == 200
    staff.logout()
    staff.login("admin")
    assert staff.get(f"/journal/export/{job_id}").status_code == 404
    assert staff.get(f"/journal/export/{job_id}/file").status_code == 404
    staff.logout()
    assert staff.get(f"/journal/export/{job_id}/file").status_code == 302  # to the login page


@pytest.mark.parametrize("job_id", ["..%2F..%2Fsecret_key", "x" * 16, "short", "a" * 200])
def test_unknown_or_malformed_job_ids_are_404(staff, journal, job_id):
    assert staff.get(f"/journal/export/{job_id}").status_code == 404
    assert staff.get(f"/journal/export/{job_id}/file").status_code == 404


def test_export_needs_csrf(staff, journal):
    assert staff.client.post("/journal/export", data={}).status_code == 400


def test_too_many_rows_for_a_sheet_is_refused_with_a_message(staff, journal, monkeypatch):
    monkeypatch.setattr(export, "EXCEL_MAX_ROWS", 5)
    text = staff.post("/journal/export", data={}).get_data(as_text=True)
    assert "в лист Excel помещается не больше 5" in text and "Уточните фильтры" in text


def test_progress_is_polled_until_done_and_can_be_cancelled(app, staff, journal, monkeypatch, tmp_path):
    """A running job answers with a progress bar that polls itself; cancelling stops it and
    leaves no file behind, neither the export's nor the writer's temporary ones."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setattr(workbook, "PROGRESS_EVERY", 2)
    real = export.write_workbook
    temp_files_while_writing = []

    def slow(path, columns, rows, tz, on_progress=None, filters=()):
        def progress(done):  # a big export: keeps reporting until it is cancelled
            temp_files_while_writing.extend(p for p in temp.rglob("*") if p.is_file())
            for _ in range(1000):
                on_progress(done)
                time.sleep(0.01)
        return real(path, columns, rows, tz, progress, filters)

    monkeypatch.setattr(export, "write_workbook", slow)
    response = staff.post("/journal/export", data={})
    job_id = JOB.search(response.get_data(as_text=True)).group(1)
    status = staff.page(f"/journal/export/{job_id}")
    assert 'hx-trigger="load delay:500ms"' in status and "<progress" in status
    assert f"из {len(SPECS)} строк" in status and "Отменить" in status

    cancelled = staff.post(f"/journal/export/{job_id}/cancel").get_data(as_text=True)
    export.wait(job_id)
    assert "Выгрузка отменена" in cancelled
    assert staff.get(f"/journal/export/{job_id}/file").status_code == 404
    with app.app_context():
        assert db.session.get(ExportJob, job_id).state == "cancelled"
        assert db.session.execute(select(func.count()).select_from(StoredFile)).scalar() == 0  # no file kept
    assert temp_files_while_writing  # the rows went to a temporary file...
    assert not list(temp.iterdir())  # ...which is gone with its directory


def test_rows_added_beyond_a_sheet_while_exporting_end_the_job_with_a_message(staff, journal, monkeypatch):
    """The route counts the rows first; if more arrive than a sheet holds, the job says so."""
    monkeypatch.setattr(workbook, "EXCEL_MAX_ROWS", 3)
    job_id = run_export(staff)
    status = staff.page(f"/journal/export/{job_id}")
    assert "строк стало больше, чем помещается в лист Excel" in status
    assert staff.get(f"/journal/export/{job_id}/file").status_code == 404


def test_a_job_writes_the_filters_it_is_given_on_a_second_sheet(app, journal):
    with app.app_context():
        user_id = db.session.execute(select(StaffUser.id).filter_by(login="operator")).scalar_one()
        job = export.start(app, user_id, select(Request.number).order_by(Request.number),
                           [BY_KEY["number"]], len(SPECS), filters=[("Статус", "новая")])
        export.wait(job["id"])
        book = load_workbook(io.BytesIO(storage.read(export.status(user_id, job["id"])["file"])))
    assert book.sheetnames == ["Заявки", "Условия выгрузки"]
    assert [row[0] for row in book["Заявки"].iter_rows(min_row=2, values_only=True)] == sorted(
        journal.number(i) for i in range(len(SPECS)))
    conditions = list(book["Условия выгрузки"].iter_rows(values_only=True))
    assert conditions[1] == ("Статус", "новая")
    assert conditions[3] == ("Строк в выгрузке", len(SPECS))


def test_old_files_and_the_users_previous_export_are_removed(app, staff, journal):
    first = run_export(staff)
    with app.app_context():
        first_file = db.session.get(ExportJob, first).file
        assert first_file.startswith("db:") and storage.exists(first_file)  # in the database by default
        admin = db.session.execute(select(StaffUser.id).filter_by(login="admin")).scalar_one()
        stale = ExportJob(id="stale-job-aaaaaa", user_id=admin, state="done", total=1,
                          file=storage.save("exports/old.xlsx", b"old"),
                          created_at=utcnow() - timedelta(seconds=export.KEEP_SECONDS + 10))
        db.session.add(stale)
        db.session.commit()
        stale_file = stale.file
    second = run_export(staff)
    with app.app_context():
        assert db.session.get(ExportJob, first) is None and not storage.exists(first_file)  # replaced
        assert db.session.get(ExportJob, "stale-job-aaaaaa") is None and not storage.exists(stale_file)
        assert storage.exists(db.session.get(ExportJob, second).file)


def job_row(app, login="operator", **values) -> str:
    """An export's row as another web process left it."""
    with app.app_context():
        user_id = db.session.execute(select(StaffUser.id).filter_by(login=login)).scalar_one()
        job = ExportJob(id=secrets.token_urlsafe(12), user_id=user_id, total=10, filename="Заявки.xlsx",
                        ascii_filename="zayavki.xlsx", **values)
        db.session.add(job)
        db.session.commit()
        return job.id


def test_a_job_whose_process_died_is_failed_with_a_sentence_when_polled(app, staff, journal):
    beat = utcnow() - timedelta(seconds=app.config["EXPORT_STALE_SECONDS"] + 5)
    dead = job_row(app, state="running", done=4, host="web-2", pid=4242, heartbeat_at=beat)
    alive = job_row(app, state="running", done=4, host="web-2", pid=4243, heartbeat_at=utcnow())
    status = staff.page(f"/journal/export/{dead}")
    assert "перестал отвечать" in status and "Запустите её снова" in status and "<progress" not in status
    assert staff.get(f"/journal/export/{dead}/file").status_code == 404
    assert "<progress" in staff.page(f"/journal/export/{alive}")  # beating elsewhere: still running
    assert "Выгрузка отменена" in staff.post(f"/journal/export/{alive}/cancel").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ExportJob, alive).state == "cancelled"  # its thread stops at its next progress


def test_an_hour_later_the_job_and_its_file_are_gone(app, staff, journal):
    with app.app_context():
        ref = storage.save("exports/x.xlsx", b"workbook")
        db.session.commit()
    job_id = job_row(app, state="done", file=ref, created_at=utcnow() - timedelta(seconds=export.KEEP_SECONDS + 1))
    assert staff.get(f"/journal/export/{job_id}/file").status_code == 404
    with app.app_context():
        assert db.session.get(ExportJob, job_id) is None and not storage.exists(ref)


def test_the_export_says_which_filters_and_order_it_holds(staff, journal):
    """The file travels alone (mailed to a manager): its second sheet names what it is."""
    job_id = run_export(staff, status="open", executor=str(journal.ids["executor:petrov"]),
                        created_at_from="2024-03-02", sort="-number")
    response = staff.get(f"/journal/export/{job_id}/file")
    conditions = load_workbook(io.BytesIO(response.data))["Условия выгрузки"]
    rows = {r[0]: r[1] for r in conditions.iter_rows(min_row=2, values_only=True)}
    assert rows["Статус"] == "Все незакрытые"
    assert rows["Исполнитель"] == "Петров Пётр"
    assert rows["Создана"] == "с 02.03.2024"
    assert rows["Сортировка"] == "Номер, по убыванию"
    assert rows["Строк в выгрузке"] == 3  # Петров's assigned, done and assigned requests of 2-9 March

    plain = staff.get(f"/journal/export/{run_export(staff)}/file")
    rows = {r[0]: r[1] for r in load_workbook(io.BytesIO(plain.data))["Условия выгрузки"].iter_rows(
        min_row=2, values_only=True)}
    assert rows["Фильтры"] == "нет" and rows["Сортировка"] == "Создана, по убыванию"


@pytest.mark.parametrize("total,text", [(1, "Файл готов: 1 строка."), (3, "Файл готов: 3 строки."),
                                        (21, "Файл готов: 21 строка."), (60, "Файл готов: 60 строк.")])
def test_the_finished_export_counts_its_rows_in_russian_numerals(app, total, text):
    from flask import render_template
    with app.test_request_context():
        html = render_template("journal/_export.html",
                               job={"state": "done", "id": "a" * 32, "total": total, "filename": "Заявки.xlsx"})
    assert text in html
