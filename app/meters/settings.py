"""«Настройки компании» / «Показания счётчиков»: the submission window, the reminders, the caps on
monthly consumption above which a resident is asked to check the reading."""
from decimal import Decimal

from wtforms import BooleanField, DecimalField, IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from app.admin.company import Section, register
from app.forms import Form
from app.models.meters import RESOURCES
from app.services import company

KEYS = ("meter_window_first", "meter_window_last", "meter_reminders", "meter_caps")


class MeterSettingsForm(Form):
    meter_window_first = IntegerField("Приём показаний: с какого числа", validators=[
        InputRequired("Укажите число месяца."), NumberRange(1, 28, "От 1 до 28: такое число есть в каждом месяце.")])
    meter_window_last = IntegerField("по какое число (включительно)", validators=[
        InputRequired("Укажите число месяца."), NumberRange(1, 31, "От 1 до 31 (в коротком месяце — до его конца).")])
    meter_reminders = BooleanField("Напоминать жителям в боте: в день открытия приёма и за два дня до конца "
                                   "(тем, кто ещё не передал)")

    def cap_fields(self) -> list:
        """The cap per resource (fields added below), in the resources' order."""
        return [self[f"cap_{code}"] for code in RESOURCES]

    def validate_meter_window_last(self, field):
        if self.meter_window_first.data is not None and field.data is not None \
                and field.data < self.meter_window_first.data:
            raise ValidationError("Последний день приёма не может быть раньше первого.")


for _code, _resource in RESOURCES.items():
    setattr(MeterSettingsForm, f"cap_{_code}", DecimalField(
        f"{_resource.title}, {_resource.unit} в месяц", places=None,
        validators=[Optional(), NumberRange(0, 10**7, "От 0 до 10 000 000.")]))


def load() -> dict:
    values = company.get_all(*KEYS)
    caps = values.pop("meter_caps") or {}
    return {**values, **{f"cap_{code}": caps.get(code) for code in RESOURCES}}


def save(form, staff_id: int) -> None:
    caps = {}
    for code in RESOURCES:
        value = form[f"cap_{code}"].data
        if value is not None:
            caps[code] = int(value) if value == int(value) else float(Decimal(value))
    company.put({"meter_window_first": form.meter_window_first.data, "meter_window_last": form.meter_window_last.data,
                 "meter_reminders": bool(form.meter_reminders.data), "meter_caps": caps}, staff_id)


register(Section("meters", "Показания счётчиков", MeterSettingsForm, "admin/company/_meters.html",
                 load=load, save=save))
