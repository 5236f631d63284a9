from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    login = StringField("Логин", validators=[DataRequired("Введите логин."), Length(max=64)])
    password = PasswordField("Пароль", validators=[DataRequired("Введите пароль."), Length(max=200)])
    remember = BooleanField("Запомнить меня")
