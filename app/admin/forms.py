"""Forms of the reference-data pages (Russian labels and messages)."""
import re

from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup, escape
from wtforms import BooleanField, Field, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import html_params

from app.auth.forms import full_name_field
from app.auth.passwords import confirmation_field, new_password_field
from app.forms import Form, required, squeeze_spaces, within_upload_limit
from app.models.staff import ROLE_CHOICES
from app.services.requests import durations
from app.services.people.clients import FIELDS, InvalidAccount, max_length, normalise_account
from app.services.people.phones import InvalidPhone, normalise_phone


def _length(field: str):
    limit = max_length(field)
    return Length(max=limit, message=f"Не длиннее {limit} символов.")


class AccountField(StringField):
    """Лицевой счёт: digits only, spaces between groups dropped."""

    def pre_validate(self, form):
        try:
            self.data = normalise_account(self.data)
        except InvalidAccount as exc:
            raise ValidationError(str(exc)) from None


class PhoneField(StringField):
    """Optional phone, stored in E.164; `8 912 345-67-89` is accepted."""

    def __init__(self, *args, required=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.required = required

    def pre_validate(self, form):
        if not self.data:
            if self.required:
                raise ValidationError("Укажите телефон.")
            self.data = ""
            return
        try:
            self.data = normalise_phone(self.data)
        except InvalidPhone as exc:
            raise ValidationError(str(exc)) from None

    def _value(self):
        from app.services.people.phones import display_phone

        if self.data and self.data.startswith("+") and not self.errors:
            return display_phone(self.data)
        return self.data or ""


class ClientForm(Form):
    account = AccountField(FIELDS["account"], filters=[squeeze_spaces],
                           render_kw={"inputmode": "numeric", "autocomplete": "off"})
    full_name = StringField(FIELDS["full_name"], filters=[squeeze_spaces],
                            validators=[required("ФИО"), _length("full_name")])
    city = StringField(FIELDS["city"], filters=[squeeze_spaces], validators=[_length("city")])
    street = StringField(FIELDS["street"], filters=[squeeze_spaces],
                         validators=[required("улицу"), _length("street")])
    house = StringField(FIELDS["house"], filters=[squeeze_spaces], validators=[required("дом"), _length("house")])
    house_letter = StringField(FIELDS["house_letter"], filters=[squeeze_spaces],
                               validators=[_length("house_letter")])
    apartment = StringField(FIELDS["apartment"], filters=[squeeze_spaces], validators=[_length("apartment")])
    phone = PhoneField(FIELDS["phone"], filters=[squeeze_spaces], render_kw={"type": "tel", "autocomplete": "off"})
    contract_number = StringField(FIELDS["contract_number"], filters=[squeeze_spaces],
                                  validators=[_length("contract_number")])


class DurationInput:
    """A number and its unit side by side: `<name>` and `<name>_unit`."""

    def __call__(self, field, **kwargs):
        value, unit = field.shown()
        kwargs.setdefault("id", field.id)
        number = html_params(type="number", name=field.name, value="" if value is None else value,
                             min=1, step=1, inputmode="numeric", **kwargs)
        options = "".join(f'<option value="{code}"{" selected" if code == unit else ""}>{escape(word)}</option>'
                          for code, word, _ in durations.UNITS)
        return Markup(f'<span class="duration-input"><input {number}>'
                      f'<select name="{escape(field.name)}_unit" aria-label="Единица">{options}</select></span>')


class DurationField(Field):
    """A norm typed in minutes, hours or days; `data` is minutes, None when left empty."""

    widget = DurationInput()

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.unit_typed = formdata.get(f"{self.name}_unit", "") if formdata is not None else ""
        super().process(formdata, data, extra_filters)

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not text:
            return
        if not re.fullmatch(r"[-+]?[0-9]+", text):  # a sign is a number too: "-5" is out of range, not text
            raise ValueError("Введите целое число.")
        if self.unit_typed not in durations.MINUTES:
            raise ValueError("Выберите единицу: минуты, часы или дни.")
        minutes = int(text) * durations.MINUTES[self.unit_typed]
        if not 0 < minutes <= durations.MAX_MINUTES:
            raise ValueError("Срок — от 1 минуты до 365 дней; пусто — без срока.")
        self.data = minutes

    def shown(self) -> tuple:
        """What the inputs show: as typed when it was refused, else the minutes in a whole unit."""
        if self.raw_data and self.errors:
            return self.raw_data[0], self.unit_typed
        return durations.split(self.data)


def _flag(value):
    """The subcategory's own emergency flag from the form: None = as its category."""
    return value if value in (None, True, False) else {"yes": True, "no": False}.get(value)


class CategoryForm(Form):
    name = StringField("Название", filters=[squeeze_spaces],
                       validators=[required("название"), Length(max=100, message="Не длиннее 100 символов.")])
    sort_order = IntegerField("Порядок в списке", default=0,
                              validators=[Optional(), NumberRange(-9999, 9999, "Число от -9999 до 9999.")])
    active = BooleanField("Активна (видна в боте и при создании заявки)", default=True)
    emergency = BooleanField("Аварийная: заявки выделяются, о них сразу сообщается")
    reaction_minutes = DurationField("Срок реакции (от подачи до назначения)")
    completion_minutes = DurationField("Срок выполнения (от подачи до «выполнена»)")


class SubcategoryForm(CategoryForm):
    category_id = SelectField("Категория", coerce=int, validators=[InputRequired("Выберите категорию.")])
    emergency = SelectField("Аварийная", coerce=_flag, choices=[
        SelectChoice("", "как у категории"), SelectChoice("yes", "да, аварийная"), SelectChoice("no", "нет")])


class QuickSubcategoryForm(Form):
    """Adding a subcategory from the category page: just the name."""

    name = StringField("Новая подкатегория", filters=[squeeze_spaces],
                       validators=[required("название"), Length(max=100, message="Не длиннее 100 символов.")])


class ExecutorForm(Form):
    full_name = StringField("ФИО", filters=[squeeze_spaces],
                            validators=[required("ФИО"), Length(max=200, message="Не длиннее 200 символов.")])
    position = StringField("Должность", filters=[squeeze_spaces],
                           validators=[required("должность"), Length(max=100, message="Не длиннее 100 символов.")])
    phone = PhoneField("Телефон", filters=[squeeze_spaces], render_kw={"type": "tel", "autocomplete": "off"})
    active = BooleanField("Работает (можно назначать на заявки)", default=True)


class StaffUserForm(Form):
    login = StringField("Логин", filters=[lambda v: v.strip() if isinstance(v, str) else v], validators=[
        required("логин"),
        Length(min=2, max=64, message="От 2 до 64 символов."),
        Regexp(r"^[A-Za-z0-9._-]+$", message="Только латинские буквы, цифры, точка, дефис и подчёркивание."),
    ], render_kw={"autocomplete": "off"})
    full_name = full_name_field()
    role = SelectField("Роль", choices=[SelectChoice(value, label) for value, label in ROLE_CHOICES])
    active = BooleanField("Активен (может входить)", default=True)
    password = new_password_field("Пароль")
    password2 = confirmation_field("Пароль ещё раз")

    def __init__(self, *args, new_user: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if new_user:
            self.password.validators = [required("пароль"), *self.password.validators]
        else:
            self.password.validators = [Optional(), *self.password.validators]
            self.password.description = f"Оставьте пустым, чтобы не менять. {self.password.description}"


class ImportForm(Form):
    file = FileField("Файл .xlsx или .csv", validators=[FileRequired("Выберите файл."), within_upload_limit],
                     render_kw={"accept": ".xlsx,.csv,.txt"})
    dry_run = BooleanField("Только проверить, ничего не записывать")


class CompanyContactsForm(Form):
    """«Настройки компании» / contacts: how residents know the company and reach the dispatchers."""
    company_name = StringField("Название управляющей компании", filters=[squeeze_spaces],
                               validators=[Length(max=200, message="Не длиннее 200 символов.")])
    company_phone = PhoneField("Телефон диспетчерской", filters=[squeeze_spaces],
                               render_kw={"type": "tel", "autocomplete": "off"},
                               description="Бот называет его тем, кто не может или не хочет подавать заявки в Telegram.")


class IncidentWarningForm(Form):
    """«Настройки компании» / possible incidents: when the journal and the staff chat say «Возможно, авария»."""
    incident_warning_requests = IntegerField(
        "Заявок одной категории из одного дома", validators=[
            InputRequired("Укажите число заявок."),
            NumberRange(min=2, max=100, message="От 2 до 100.")])
    incident_warning_minutes = IntegerField(
        "За сколько минут", validators=[
            InputRequired("Укажите число минут."),
            NumberRange(min=5, max=1440, message="От 5 до 1440 минут (сутки).")])
