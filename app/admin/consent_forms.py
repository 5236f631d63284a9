"""«Настройки компании» / consent: the notice residents agree to and the address of the full policy."""
from wtforms import StringField
from wtforms.validators import Length, Optional, Regexp

from app.forms import Form, TextArea, required

# The notice, the policy's address and the question go in one Telegram message (4 096 characters).
NOTICE_MAX = 3000
URL_MAX = 500


class ConsentNoticeForm(Form):
    consent_notice = TextArea(
        "Текст согласия на обработку персональных данных",
        validators=[required("текст согласия"), Length(max=NOTICE_MAX, message=f"Не длиннее {NOTICE_MAX} символов.")],
        description="Что хранится (телефон, имя, привязка к адресу, сообщения и фото), зачем, сколько и как "
                    "отозвать согласие. Каждое изменение — новая редакция: жители, согласившиеся с прежней, "
                    "ответят заново при следующем сообщении боту.")
    consent_policy_url = StringField(
        "Адрес полного текста политики", filters=[lambda value: (value or "").strip()],
        validators=[Optional(), Length(max=URL_MAX, message=f"Не длиннее {URL_MAX} символов."),
                    Regexp(r"^https?://[^\s]+$", message="Адрес страницы: начинается с https:// или http://, без пробелов.")],
        render_kw={"type": "url", "autocomplete": "off", "placeholder": "https://"})
