"""Forms of the incident pages."""
from wtforms import DateTimeLocalField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.forms import Form, TextArea
from app.services.incidents.moves import NOTE_MAX
from app.services.incidents.records import DESCRIPTION_MAX
from app.services.requests.conversation import STAFF_TEXT_MAX

DATETIME = "%Y-%m-%dT%H:%M"  # <input type="datetime-local">, local time


class IncidentForm(Form):
    """A new incident, or an incident edited. The houses are posted beside it: `picked_house` (the
    houses offered, as JSON, repeated) with `entrances:<that value>` each, and the house typed here
    (city, street, house, entrances); a new incident's requests are `request` (ids, repeated)."""

    category = SelectField("Категория", choices=[], validate_choice=False,
                           validators=[DataRequired("Выберите категорию.")])
    subcategory = SelectField("Подкатегория", choices=[], validate_choice=False, validators=[Optional()])
    description = TextArea("Описание для жителей", validators=[
        DataRequired("Опишите аварию для жителей: это описание бот покажет им."),
        Length(max=DESCRIPTION_MAX, message=f"Не больше {DESCRIPTION_MAX} символов.")])
    expected_at = DateTimeLocalField("Ожидаемое время устранения", format=DATETIME, validators=[Optional()])
    executor = SelectField("Исполнитель", choices=[], validate_choice=False, validators=[Optional()])
    city = StringField("Город", validators=[Optional(), Length(max=100)])
    street = StringField("Улица", validators=[Optional(), Length(max=200)])
    house = StringField("Дом", validators=[Optional(), Length(max=30)])
    entrances = StringField("Подъезды", validators=[Optional(), Length(max=100)])


class StatusForm(Form):
    status = HiddenField()
    current = HiddenField()   # the status the page showed, to catch a colleague's move
    note = TextArea("Комментарий для жителей", validators=[Optional(), Length(max=NOTE_MAX)])


class LinkForm(Form):
    numbers = StringField("Номера заявок", validators=[Optional(), Length(max=2000)])


class MessageForm(Form):
    key = HiddenField(filters=[lambda value: (value or "")[:32] or None])
    text = TextArea("Сообщение всем жителям", validators=[
        DataRequired("Напишите сообщение."),
        Length(max=STAFF_TEXT_MAX, message=f"Не больше {STAFF_TEXT_MAX} символов.")])
