"""Meter import page: upload an .xlsx/.csv, see what was imported and every rejected row."""
import io

from flask import render_template

from app.admin.common import admin_required
from app.admin.forms import ImportForm
from app.extensions import db
from app.meters import bp
from app.services.meters import meter_import
from app.xlsx import attachment


@bp.route("/import", methods=["GET", "POST"])
@admin_required
def import_page():
    form = ImportForm()
    report = failure = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = meter_import.import_meters(upload.read(), upload.filename or "", dry_run=form.dry_run.data)
            if not report.dry_run:
                db.session.commit()
        except meter_import.ImportFailed as exc:
            db.session.rollback()
            failure = str(exc)
    return render_template("meters/import.html", form=form, report=report, failure=failure,
                           layout=meter_import.LAYOUT)


@bp.route("/import/template.xlsx")
@admin_required
def import_template():
    return attachment(io.BytesIO(meter_import.template_xlsx()), "Счётчики_шаблон.xlsx", "meters-template.xlsx")
