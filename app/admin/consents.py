"""Consent to personal data on the web: the notice's section of «Настройки компании», the residents'
answers (the company's proof, 152-ФЗ art. 9) with an .xlsx export, and deleting a resident's data
from the bot on a client's page (a resident who asked by phone or in writing)."""
from flask import abort, flash, redirect, url_for
from sqlalchemy import select

from app.admin import bp
from app.admin.common import admin_required, paginate, render_list
from app.admin.company import Section, register
from app.admin.consent_forms import ConsentNoticeForm
from app.admin.consent_workbook import write
from app.extensions import db
from app.models import ConsentRecord, ConsentVersion, TelegramBinding
from app.services.people import consent
from app.services.people.forget import forget
from app.timezone import local_now
from app.xlsx import attachment

CONSENT = register(Section("consent", "Согласие на обработку персональных данных", ConsentNoticeForm,
                  "admin/company/_consent.html", load=consent.form_data, save=consent.save_form))
# «Настройки компании»: its section comes after the contacts (the phone those who refuse are given)


@bp.app_template_global()
def consent_version() -> ConsentVersion:
    return consent.current_version()


@bp.route("/consents")
def consents():
    """Every answer residents gave, newest first."""
    stmt = (select(ConsentRecord).join(ConsentVersion, ConsentVersion.id == ConsentRecord.version_id)
            .order_by(ConsentRecord.created_at.desc(), ConsentRecord.id.desc()))
    versions = db.session.execute(select(ConsentVersion).order_by(ConsentVersion.number.desc())).scalars().all()
    return render_list("admin/consents/index.html", "admin/consents/_table.html", page=paginate(stmt),
                       actions=consent.ACTIONS, versions=versions)


@bp.route("/consents.xlsx")
def consents_export():
    stamp = local_now().strftime("%Y-%m-%d")
    return attachment(write(consent.all_records(), db.session.execute(
        select(ConsentVersion).order_by(ConsentVersion.number)).scalars().all()),
        f"Согласия на обработку ПДн {stamp}.xlsx", f"consents-{stamp}.xlsx")


@bp.route("/clients/<int:client_id>/bindings/<int:binding_id>/forget", methods=["POST"])
@admin_required
def clients_binding_forget(client_id: int, binding_id: int):
    """«Удалить данные жителя из бота»: the resident of this pair is forgotten (every account of theirs)."""
    binding = db.session.get(TelegramBinding, binding_id)
    if binding is None or binding.client_id != client_id:
        abort(404)
    telegram_user_id = binding.telegram_user_id
    done = forget(telegram_user_id)
    db.session.commit()
    flash(f"Данные Telegram-пользователя {telegram_user_id} удалены из бота: снято привязок — "
          f"{done.accounts}, заявки остались в журнале, неотправленных сообщений отменено — {done.cancelled}.",
          "success")
    return redirect(url_for("admin.clients_view", client_id=client_id))
