"""Client import page: upload an .xlsx/.csv, see what was imported and every rejected row."""
import io

from flask import render_template

from app.admin import bp
from app.admin.common import admin_required
from app.admin.forms import ImportForm
from app.extensions import db
from app.services.people import client_import
from app.xlsx import attachment


@bp.route("/clients/import", methods=["GET", "POST"])
@admin_required
def clients_import():
    """Upload a client file; the good rows are imported, the bad ones listed with reasons."""
    form = ImportForm()
    report = failure = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = client_import.import_clients(
                upload.read(), upload.filename or "", dry_run=form.dry_run.data)
            if not report.dry_run:
                db.session.commit()
        except client_import.ImportFailed as exc:
            db.session.rollback()
            failure = str(exc)
    return render_template("admin/clients/import.html", form=form, report=report,
                           failure=failure, required=client_import.REQUIRED,
                           fields=client_import.FIELDS)


@bp.route("/clients/import/template.xlsx")
@admin_required
def clients_import_template():
    """An empty workbook with the expected column headers."""
    return attachment(io.BytesIO(client_import.template_xlsx()), "Клиенты_шаблон.xlsx", "clients-template.xlsx")
