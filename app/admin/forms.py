"""Forms of the reference-data pages (Russian labels and messages)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.meta import DefaultMeta
from wtforms.validators import (
    DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError,
)

from app.auth.passwords import confirmation_field, new_password_field
from app.models.staff import ROLE_CHOICES
from app.services.clients import FIELDS, InvalidAccount, max_length, normalise_account
from app.services.phones import InvalidPhone, normalise_phone


class Form(FlaskForm):
    """WTForms' own Russian catalogue for its built-in messages (no Babel needed)."""

    class Meta:
        locales = ("ru",)

        def get_translations(self, form):
            return DefaultMeta.get_translations(self, form)


def _strip(value):
    return " ".join(value.split()) if isinstance(value, str) else value


def _required(what: str):
    return DataRequired(f"Укажите {what}.")


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
        from app.services.phones import display_phone

        if self.data and self.data.startswith("+") and not self.errors:
            return display_phone(self.data)
        return self.data or ""


class ClientForm(Form):
    account = AccountField(FIELDS["account"], filters=[_strip],
                           render_kw={"inputmode": "numeric", "autocomplete": "off"})
    full_name = StringField(FIELDS["full_name"], filters=[_strip],
                            validators=[_required("ФИО"), _length("full_name")])
    city = StringField(FIELDS["city"], filters=[_strip], validators=[_length("city")])
    street = StringField(FIELDS["street"], filters=[_strip],
                         validators=[_required("улицу"), _length("street")])
    house = StringField(FIELDS["house"], filters=[_strip], validators=[_required("дом"), _length("house")])
    house_letter = StringField(FIELDS["house_letter"], filters=[_strip], validators=[_length("house_letter")])
    apartment = StringField(FIELDS["apartment"], filters=[_strip], validators=[_length("apartment")])
    phone = PhoneField(FIELDS["phone"], filters=[_strip], render_kw={"type": "tel", "autocomplete": "off"})
    contract_number = StringField(FIELDS["contract_number"], filters=[_strip],
                                  validators=[_length("contract_number")])


class CategoryForm(Form):
    name = StringField("Название", filters=[_strip],
                       validators=[_required("название"), Length(max=100, message="Не длиннее 100 символов.")])
    sort_order = IntegerField("Порядок в списке", default=0,
                              validators=[Optional(), NumberRange(-9999, 9999, "Число от -9999 до 9999.")])
    active = BooleanField("Активна (видна в боте и при создании заявки)", default=True)


class SubcategoryForm(CategoryForm):
    category_id = SelectField("Категория", coerce=int, validators=[InputRequired("Выберите категорию.")])


class QuickSubcategoryForm(Form):
    """Adding a subcategory from the category page: just the name."""

    name = StringField("Новая подкатегория", filters=[_strip],
                       validators=[_required("название"), Length(max=100, message="Не длиннее 100 символов.")])


class ExecutorForm(Form):
    full_name = StringField("ФИО", filters=[_strip],
                            validators=[_required("ФИО"), Length(max=200, message="Не длиннее 200 символов.")])
    position = StringField("Должность", filters=[_strip],
                           validators=[_required("должность"), Length(max=100, message="Не длиннее 100 символов.")])
    phone = PhoneField("Телефон", filters=[_strip], render_kw={"type": "tel", "autocomplete": "off"})
    active = BooleanField("Работает (можно назначать на заявки)", default=True)


class StaffUserForm(Form):
    login = StringField("Логин", filters=[lambda v: v.strip() if isinstance(v, str) else v], validators=[
        _required("логин"),
        Length(min=2, max=64, message="От 2 до 64 символов."),
        Regexp(r"^[A-Za-z0-9._-]+$", message="Только латинские буквы, цифры, точка, дефис и подчёркивание."),
    ], render_kw={"autocomplete": "off"})
    full_name = StringField("ФИО", filters=[_strip],
                            validators=[_required("ФИО"), Length(max=200, message="Не длиннее 200 символов.")])
    role = SelectField("Роль", choices=[SelectChoice(value, label) for value, label in ROLE_CHOICES])
    active = BooleanField("Активен (может входить)", default=True)
    password = new_password_field("Пароль")
    password2 = confirmation_field("Пароль ещё раз")

    def __init__(self, *args, new_user: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if new_user:
            self.password.validators = [_required("пароль"), *self.password.validators]
        else:
            self.password.validators = [Optional(), *self.password.validators]
            self.password.description = f"Оставьте пустым, чтобы не менять. {self.password.description}"


class ImportForm(Form):
    file = FileField("Файл .xlsx или .csv", validators=[FileRequired("Выберите файл.")],
                     render_kw={"accept": ".xlsx,.csv,.txt"})
    dry_run = BooleanField("Только проверить, ничего не записывать")
