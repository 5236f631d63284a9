"""The meters on a client's page: the list with the last readings, add, edit, replace."""
from flask import abort, render_template, url_for

from app.admin.common import done
from app.extensions import db
from app.meters import bp
from app.meters.forms import MeterForm, ReplaceForm
from app.models import Client
from app.models.meters import RESOURCES, Meter
from app.services.meters import meters as meter_service
from app.services.meters import readings, values


def _data(form: MeterForm) -> meter_service.MeterData:
    return meter_service.check(form.resource.data, form.serial.data, form.place.data, form.int_digits.data,
                               form.frac_digits.data, form.verification_due.data, form.initial_date.data,
                               [form.initial1.data, form.initial2.data, form.initial3.data])


def _fill_initial(form: MeterForm, meter: Meter) -> None:
    for i, value in enumerate(meter.initial, start=1):
        getattr(form, f"initial{i}").data = values.show(value, meter.frac_digits)


def _client_url(client_id: int) -> str:
    return url_for("admin.clients_view", client_id=client_id, _anchor="meters")


@bp.app_context_processor
def client_page_helpers():
    """What the client page's meter section (templates/meters/_client_section.html) asks for."""
    def client_meters(client_id: int):
        rows = []
        for meter in db.session.execute(Meter.of_client(client_id)).scalars():
            last = readings.last_counted(meter.id)
            rows.append((meter, last))
        return rows
    return {"client_meters": client_meters, "meter_value": values.show}


@bp.route("/client/<int:client_id>/new", methods=["GET", "POST"])
def client_new(client_id: int):
    client = db.get_or_404(Client, client_id)
    form = MeterForm()
    error = None
    if form.validate_on_submit():
        try:
            meter_service.add(client.id, _data(form))
            db.session.commit()
            return done(_client_url(client.id), "Счётчик добавлен.")
        except meter_service.MeterInvalid as exc:
            db.session.rollback()
            error = str(exc)
    return render_template("meters/meter_form.html", form=form, client=client, meter=None, error=error,
                           resources=RESOURCES, replacing=False)


@bp.route("/<int:meter_id>/edit", methods=["GET", "POST"])
def edit(meter_id: int):
    meter = db.get_or_404(Meter, meter_id)
    form = MeterForm(obj=meter)
    error = None
    if form.validate_on_submit():
        try:
            meter_service.edit(meter, _data(form))
            db.session.commit()
            return done(_client_url(meter.client_id), "Счётчик изменён.")
        except meter_service.MeterInvalid as exc:
            db.session.rollback()
            error = str(exc)
    elif not form.is_submitted():
        _fill_initial(form, meter)
    return render_template("meters/meter_form.html", form=form, client=meter.client, meter=meter, error=error,
                           resources=RESOURCES, replacing=False)


@bp.route("/<int:meter_id>/replace", methods=["GET", "POST"])
def replace(meter_id: int):
    """Close the meter with its final reading and put a new one in its place."""
    meter = db.get_or_404(Meter, meter_id)
    if not meter.active:
        abort(404)
    form = ReplaceForm(data={"resource": meter.resource, "place": meter.place, "int_digits": meter.int_digits,
                             "frac_digits": meter.frac_digits})
    error = None
    if form.validate_on_submit():
        try:
            meter_service.replace(meter, form.replaced_on.data, [form.final1.data, form.final2.data, form.final3.data],
                                  _data(form))
            db.session.commit()
            return done(_client_url(meter.client_id), "Счётчик заменён: старый закрыт с конечным показанием.")
        except meter_service.MeterInvalid as exc:
            db.session.rollback()
            error = str(exc)
    return render_template("meters/meter_form.html", form=form, client=meter.client, meter=meter, error=error,
                           resources=RESOURCES, replacing=True)
