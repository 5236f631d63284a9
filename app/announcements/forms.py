"""The form that composes a notice: its addresses, the «Отключение» template, text and photo."""
import json
from flask_wtf.file import FileField
from wtforms import BooleanField, DateTimeLocalField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app.forms import Form, TextArea
from app.services.messaging.outage import KINDS, RESOURCES

DATETIME = "%Y-%m-%dT%H:%M"  # <input type="datetime-local">


class AnnouncementForm(Form):
    scope = RadioField("Кому", choices=[SelectChoice("address", "Жителям по адресу"),
                                        SelectChoice("all", "Всем жителям"),
                                        SelectChoice("places", "Дома из списка")], default="address",
                       validate_choice=False)  # services.audience.parse explains a bad one
    # «Дома из списка» (an incident's houses, on any streets): the houses offered and those ticked,
    # each a JSON [city, street, house]; only shown when some are offered.
    offered = SelectMultipleField("Дома из списка", choices=[], validate_choice=False)
    places = SelectMultipleField("Дома", choices=[], validate_choice=False)
    city = SelectField("Город", choices=[], validate_choice=False)
    street = SelectField("Улица", choices=[], validate_choice=False)
    houses = SelectMultipleField("Дома", choices=[], validate_choice=False)

    outage_kind = SelectField("Отключение", choices=[SelectChoice(key, title) for key, title in KINDS],
                              default=KINDS[0][0])
    resource = SelectField("Что отключают", choices=[SelectChoice(key, title) for key, title, _ in RESOURCES],
                           default=RESOURCES[0][0])
    starts = DateTimeLocalField("Начало", format=DATETIME, validators=[Optional()])
    ends = DateTimeLocalField("Окончание", format=DATETIME, validators=[Optional()])
    addresses = StringField("Адреса", validators=[Length(max=500, message="Не длиннее 500 символов.")])
    note = StringField("Причина, подробности", validators=[Length(max=500, message="Не длиннее 500 символов.")])

    text = TextArea("Текст объявления")
    photo = FileField("Фото")
    remove_photo = BooleanField("Убрать фото")

    def audience_values(self) -> tuple:
        """(scope, city, street, houses, places) as submitted, for services.audience.parse."""
        return (self.scope.data or "", self.city.data, self.street.data, list(self.houses.data or []),
                places_of(self.places.data))

    def outage_errors(self) -> bool:
        """Check the template's fields (only when the text is filled from it)."""
        fields = (self.outage_kind, self.resource, self.starts, self.ends, self.addresses, self.note)
        if not all([f.validate(self) for f in fields]):  # every field, so each shows its error
            return True
        if self.starts.data is None:
            self.starts.errors.append("Укажите, когда начнётся отключение.")
        elif self.ends.data is not None and self.ends.data <= self.starts.data:
            self.ends.errors.append("Окончание должно быть позже начала.")
        return bool(self.starts.errors or self.ends.errors)


def place_value(place) -> str:
    return json.dumps(list(place), ensure_ascii=False)


def places_of(values) -> list[tuple[str, str, str]]:
    """The (city, street, house) of posted place values (anything else dropped)."""
    out = []
    for raw in values or []:
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        if isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value):
            out.append(tuple(v[:200] for v in value))
    return list(dict.fromkeys(out))
