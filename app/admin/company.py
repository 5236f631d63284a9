"""«Настройки компании»: the company's own settings, one section (form) per feature, administrators only.

A section edits some keys of app.services.company; its form's fields are named after them.
A feature registers its section (and, when a plain copy of the fields is not enough,
gives `save` to store the form otherwise, e.g. as a new version)."""
from dataclasses import dataclass
from typing import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app.admin import bp
from app.admin.common import admin_required
from app.admin.forms import CompanyContactsForm, IncidentWarningForm
from app.extensions import db
from app.services import company


@dataclass(frozen=True)
class Section:
    name: str                     # its URL and the page's anchor
    title: str
    form: type
    template: str                 # the section's fields, inside the page's <form>
    keys: tuple[str, ...] = ()    # the settings its fields edit
    load: Callable[[], dict] | None = None          # the form's data when `keys` are not enough
    save: Callable[[object, int], None] | None = None  # store a valid form (in the caller's transaction)

    def data(self) -> dict:
        return self.load() if self.load else company.get_all(*self.keys)

    def store(self, form) -> None:
        if self.save:
            self.save(form, current_user.id)
        else:
            company.put({key: form[key].data for key in self.keys}, current_user.id)


SECTIONS: list[Section] = []


def register(section: Section) -> Section:
    """Add a feature's section to the page, below those registered before it."""
    SECTIONS.append(section)
    return section


register(Section("contacts", "Контакты", CompanyContactsForm, "admin/company/_contacts.html",
                 keys=("company_name", "company_phone")))
register(Section("incidents", "Возможные аварии", IncidentWarningForm, "admin/company/_incidents.html",
                 keys=("incident_warning_requests", "incident_warning_minutes")))


def _page(posted: tuple[str, object] | None = None, status: int = 200):
    """Every section's form with its stored values; `posted`: (a section's name, its refused form)."""
    forms = {section.name: posted[1] if posted and posted[0] == section.name else section.form(data=section.data())
             for section in SECTIONS}
    return render_template("admin/company/index.html", sections=SECTIONS, forms=forms), status


@bp.route("/company")
@admin_required
def company_settings():
    return _page()


@bp.route("/company/<name>", methods=["POST"])
@admin_required
def company_settings_save(name: str):
    section = next((section for section in SECTIONS if section.name == name), None) or abort(404)
    form = section.form()
    if not form.validate_on_submit():
        return _page((name, form), 422)
    section.store(form)
    db.session.commit()
    flash(f"«{section.title}»: сохранено.", "success")
    return redirect(url_for("admin.company_settings", _anchor=name))
