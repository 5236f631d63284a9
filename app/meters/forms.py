"""Forms of the meter pages (Russian labels and messages). The values are checked by
app.services.meters (one place for the digits rule), the form only carries them."""
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.forms import Form, TextArea, squeeze_spaces
from app.models.meters import RESOURCES
from app.services.meters.meters import PLACE_MAX, SERIAL_MAX

DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]


class MeterForm(Form):
    resource = SelectField("Ресурс", choices=[SelectChoice(code, r.title) for code, r in RESOURCES.items()])
    serial = StringField("Заводской номер", filters=[squeeze_spaces],
                         validators=[InputRequired("Укажите заводской номер."),
                                     Length(max=SERIAL_MAX, message=f"Не длиннее {SERIAL_MAX} символов.")])
    place = StringField("Место установки", filters=[squeeze_spaces],
                        validators=[Length(max=PLACE_MAX, message=f"Не длиннее {PLACE_MAX} символов.")],
                        render_kw={"placeholder": "кухня, ванная…"})
    int_digits = IntegerField("Цифр до запятой", default=5,
                              validators=[InputRequired("Укажите число."), NumberRange(1, 9, "От 1 до 9.")])
    frac_digits = IntegerField("Цифр после запятой", default=3,
                               validators=[InputRequired("Укажите число."), NumberRange(0, 3, "От 0 до 3.")])
    verification_due = DateField("Дата поверки", format=DATE_FORMATS, validators=[Optional()])
    initial_date = DateField("Дата начальных показаний", format=DATE_FORMATS,
                             validators=[InputRequired("Укажите дату.")])
    initial1 = StringField("Начальное показание (тариф 1)", filters=[squeeze_spaces])
    initial2 = StringField("Тариф 2 (для двух- и трёхтарифных)", filters=[squeeze_spaces])
    initial3 = StringField("Тариф 3 (для трёхтарифных)", filters=[squeeze_spaces])


class ReplaceForm(MeterForm):
    replaced_on = DateField("Дата замены", format=DATE_FORMATS, validators=[InputRequired("Укажите дату.")])
    final1 = StringField("Конечное показание старого (тариф 1)", filters=[squeeze_spaces])
    final2 = StringField("Конечное, тариф 2", filters=[squeeze_spaces])
    final3 = StringField("Конечное, тариф 3", filters=[squeeze_spaces])


class ReadingForm(Form):
    """An operator's entry of a reading taken by phone."""
    v1 = StringField("Показание", filters=[squeeze_spaces])
    v2 = StringField("Тариф 2", filters=[squeeze_spaces])
    v3 = StringField("Тариф 3", filters=[squeeze_spaces])
    checked = BooleanField("Расход проверен")


class ReviewForm(Form):
    comment = TextArea("Комментарий для жителя", filters=[squeeze_spaces],
                       validators=[Length(max=500, message="Не длиннее 500 символов.")])
