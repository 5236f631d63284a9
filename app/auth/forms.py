from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.auth.passwords import confirmation_field, new_password_field
from app.forms import Form, required, squeeze_spaces


def full_name_field() -> StringField:
    """A staff member's full name: the admin's user form and the profile page."""
    return StringField("ФИО", filters=[squeeze_spaces],
                       validators=[required("ФИО"), Length(max=200, message="Не длиннее 200 символов.")])


class LoginForm(FlaskForm):
    login = StringField("Логин", validators=[DataRequired("Введите логин."), Length(max=64)])
    password = PasswordField("Пароль", validators=[DataRequired("Введите пароль."), Length(max=200)])
    remember = BooleanField("Запомнить меня")


class ProfileForm(Form):
    """A staff member's own name and, given the current password, a new password."""

    full_name = full_name_field()
    current_password = PasswordField("Текущий пароль", validators=[Length(max=200)],
                                     render_kw={"autocomplete": "current-password"})
    password = new_password_field("Новый пароль", Optional())
    password2 = confirmation_field("Новый пароль ещё раз")
