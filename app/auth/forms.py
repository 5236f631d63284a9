from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.admin.forms import Form, StaffUserForm
from app.auth.passwords import confirmation_field, new_password_field


class LoginForm(FlaskForm):
    login = StringField("Логин", validators=[DataRequired("Введите логин."), Length(max=64)])
    password = PasswordField("Пароль", validators=[DataRequired("Введите пароль."), Length(max=200)])
    remember = BooleanField("Запомнить меня")


class ProfileForm(Form):
    """A staff member's own name and, given the current password, a new password."""

    full_name = StaffUserForm.full_name  # the same field and rules as on the admin's user form
    current_password = PasswordField("Текущий пароль", validators=[Length(max=200)],
                                     render_kw={"autocomplete": "current-password"})
    password = new_password_field("Новый пароль", Optional())
    password2 = confirmation_field("Новый пароль ещё раз")
