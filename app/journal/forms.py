"""Forms of the request page and of a request filed by phone."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.forms import TextArea, unix_line_breaks
from app.services.requests.conversation import STAFF_TEXT_MAX
from app.services.people.phones import InvalidPhone, normalise_phone
from app.services.requests.lifecycle import DESCRIPTION_MAX
from app.telegram.limits import SEND_PHOTO_MAX_BYTES


class StatusForm(FlaskForm):
    status = HiddenField()     # the pressed button's value
    current = HiddenField()    # the status the page showed, to catch a colleague's change
    status_comment = TextArea("Комментарий для жителя", validators=[Optional(), Length(max=1000)])


class ExecutorForm(FlaskForm):
    executor = SelectField("Исполнитель", choices=[], validate_choice=False,
                           validators=[DataRequired("Выберите исполнителя.")])
    executor_comment = StringField("Комментарий", validators=[Optional(), Length(max=500)],
                                   filters=[unix_line_breaks])


class CategoryForm(FlaskForm):
    """Correcting the category a resident chose (the deadlines follow it)."""

    category = SelectField("Категория", choices=[], validate_choice=False,
                           validators=[DataRequired("Выберите категорию.")])
    subcategory = SelectField("Подкатегория", choices=[], validate_choice=False, validators=[Optional()])
    category_comment = StringField("Комментарий", validators=[Optional(), Length(max=500)],
                                   filters=[unix_line_breaks])


class CommentForm(FlaskForm):
    text = TextArea("Комментарий", validators=[
        DataRequired("Напишите комментарий."), Length(max=2000, message="Не больше 2000 символов.")])


def form_key(value):
    """A filter: the message form's key as the column holds it (a forged longer one is cut, not a 500)."""
    return (value or "")[:32] or None


class MessageForm(FlaskForm):
    """A message to the resident in Telegram; the photo is checked by app.services.requests.conversation.
    `key` is made afresh for each page shown: a second post of the same form sends nothing more."""

    key = HiddenField(filters=[form_key])
    text = TextArea("Сообщение жителю", validators=[
        Optional(), Length(max=STAFF_TEXT_MAX, message=f"Не больше {STAFF_TEXT_MAX} символов.")])
    photo = FileField(f"Фото (JPEG или PNG, до {SEND_PHOTO_MAX_BYTES // 2**20} МБ)")


class NewRequestForm(FlaskForm):
    client_id = HiddenField(validators=[DataRequired("Выберите клиента: найдите его по ЛС или ФИО.")])
    category = SelectField("Категория", choices=[], validate_choice=False,
                           validators=[DataRequired("Выберите категорию.")])
    subcategory = SelectField("Подкатегория", choices=[], validate_choice=False, validators=[Optional()])
    description = TextArea("Описание проблемы", validators=[
        DataRequired("Опишите проблему со слов жителя."),
        Length(max=DESCRIPTION_MAX, message=f"Не больше {DESCRIPTION_MAX} символов.")])
    contact_phone = StringField("Контактный телефон", validators=[Optional()])

    def validate_contact_phone(self, field):
        if field.data and field.data.strip():
            try:
                field.data = normalise_phone(field.data)
            except InvalidPhone as error:
                raise ValidationError(str(error)) from None
