"""Everything said to residents about meter readings: the bot's dialog (app.bot.meter_readings),
the reminders and verification notices (app.services.meters.reminders), an operator's review
(app.services.meters.readings). Plain text; buttons' data through app.telegram.codec."""
from app.models.meters import RESOURCES, SCALE
from app.telegram import codec, markup
from app.telegram.common import BTN_CANCEL

BTN_METERS = "Передать показания"
BTN_NO_PHOTO = "Без фото"
BTN_SWAPPED = "Да, счётчик заменили"
BTN_RETYPE = "Нет, введу заново"
BTN_RIGHT = "Да, всё верно"
BTN_FIX = "Исправить"
BTN_SEND = "Отправить"
BTN_CANCEL_INLINE = "Отменить"
BTN_REMINDERS_OFF = "Напоминания о показаниях: не получать"
BTN_REMINDERS_ON = "Напоминания о показаниях: получать"
REMINDERS_OFF_DONE = "Напоминания о показаниях отключены"
REMINDERS_ON_DONE = "Напоминания о показаниях включены"
REMINDERS_ON_LINE = "Напоминания о передаче показаний счётчиков вы получаете."
REMINDERS_OFF_LINE = "Напоминания о передаче показаний счётчиков вы не получаете."

CHOOSE_ACCOUNT = "Показания по какому адресу?"
ACCOUNT_GONE = "Этот адрес больше не привязан к вам. Выберите адрес из списка."
NO_METERS = ("По адресу {address} счётчики не зарегистрированы в управляющей компании. Если счётчики есть, "
             "сообщите их номера диспетчеру{phone}.")
WINDOW_CLOSED = "Приём показаний — с {first} по {last} число каждого месяца. Следующий откроется {opens}."
LAST_READINGS = "\n\nПоследние показания ({address}):\n{lines}"
METER_LIST = ("Счётчики по адресу {address}:\n{lines}\n\nВыберите счётчик, чтобы передать показание. "
              "Приём открыт до {closes} включительно; до этого дня переданное можно исправить.")
ASK_VALUE = ("{meter}.\nПредыдущее показание{rate_of}: {previous} {unit} от {date}.\n\n"
             "Введите текущее показание{rate_of} — {digits}, например {example}.")
CORRECTING = "За этот месяц вы уже передали {values}. Новое показание заменит его (прежнее останется в истории)."
BELOW = "Показание {value} меньше предыдущего ({previous}). Счётчик заменили?"
SWAP_SENT = ("Передали диспетчеру: счётчик {meter} заменён. Показание по старому счётчику не сохранено — "
             "с вами свяжутся, чтобы зарегистрировать новый.")
RETYPE = "Хорошо. Введите показание ещё раз."
UNUSUAL = "Проверьте: расход {used} {unit} за месяц — всё верно?"
ASK_PHOTO = "Можно приложить фото счётчика: пришлите снимок или нажмите «{button}»."
PHOTO_WRONG = "Пришлите фотографию счётчика (снимок или изображение файлом) или нажмите «{button}»."
PHOTO_TOO_BIG = "Фото слишком большое (больше {mb} МБ). Пришлите снимок поменьше или нажмите «{button}»."
SUMMARY = "Проверьте и отправьте:\n{meter}\nПоказание: {values} {unit}\nРасход за месяц: {used} {unit}\nФото: {photo}"
PHOTO_YES, PHOTO_NO = "есть", "нет"
SENT = "Показание принято: {meter} — {values} {unit}."
SENT_CHECK = " Расход необычный — его проверит диспетчер."
REFUSED = "Показание не сохранено: {reason}"
CLOSED_NOW = "Приём показаний закрыт — показание не сохранено. Следующий откроется {opens}."
CHOOSE_BUTTON = "Выберите ответ кнопкой под сообщением."
NOT_TEXT = "Пришлите показание текстом — цифрами, например {example}."

OPEN_REMINDER = ("Открыт приём показаний счётчиков — до {closes} включительно. Нажмите «{button}» в меню бота. "
                 "Отключить напоминания можно в «Настройках».")
CLOSING_REMINDER = ("Приём показаний счётчиков заканчивается {closes}, а вы их ещё не передали. Нажмите «{button}» "
                    "в меню бота. Отключить напоминания можно в «Настройках».")
VERIFICATION = ("Срок поверки счётчика {meter} по адресу {address} — {due}. Договоритесь о поверке или замене "
                "заранее: после этой даты показания счётчика могут не приниматься.")
REVIEW_ACCEPTED = "Показание {meter} за {month} проверено и принято: {values} {unit}."
REVIEW_REJECTED = "Показание {meter} за {month} ({values} {unit}) отклонено диспетчером."
REVIEW_COMMENT = "\nКомментарий: {comment}"


def day(value) -> str:
    return value.strftime("%d.%m.%Y")


def number(value: int | None, frac_digits: int) -> str:
    """«123,45»: as many decimals as the meter has (plain text, no thousands separators)."""
    if value is None:
        return "—"
    whole, fraction = divmod(abs(value), SCALE)
    text = ("-" if value < 0 else "") + str(whole)
    return text + ("," + f"{fraction:03d}"[:frac_digits] if frac_digits else "")


def values_text(meter, values) -> str:
    rates = meter.kind.rates
    parts = [(f"{rate} " if rate else "") + number(v, meter.frac_digits) for rate, v in zip(rates, values)]
    return ", ".join(parts)


def meter_title(meter) -> str:
    """«ХВС № 123456 (кухня)»."""
    return f"{meter.kind.title} № {meter.serial}" + (f" ({meter.place})" if meter.place else "")


def meter_line(meter, values, when, reported: bool) -> str:
    """A meter in a list: its title, the last values and their date, and whether this month's is in."""
    line = f"• {meter_title(meter)}: {values_text(meter, values)} {meter.kind.unit} от {day(when)}"
    return line + (" ✓ передано в этом месяце" if reported else "")


def digits_hint(meter) -> str:
    hint = f"до {meter.int_digits} цифр до запятой"
    return hint + (f" и до {meter.frac_digits} после" if meter.frac_digits else ", без дробной части")


def example(meter) -> str:
    return "123,45" if meter.frac_digits >= 2 else ("123,4" if meter.frac_digits == 1 else "123")


def ask_value(meter, rate: int, previous: int, previous_date) -> str:
    name = meter.kind.rates[rate]
    return ASK_VALUE.format(meter=meter_title(meter), rate_of=f" (тариф «{name}»)" if name else "",
                            previous=number(previous, meter.frac_digits), unit=meter.kind.unit,
                            date=day(previous_date), digits=digits_hint(meter), example=example(meter))


def review_news(meter, period, values, accept: bool, comment: str) -> str:
    fields = {"meter": meter_title(meter), "month": period.strftime("%m.%Y"),
              "values": values_text(meter, values), "unit": meter.kind.unit}
    text = (REVIEW_ACCEPTED if accept else REVIEW_REJECTED).format(**fields)
    return text + (REVIEW_COMMENT.format(comment=comment) if comment else "")


SWAP_ALERT = ("Счётчик заменён? Житель ЛС {account} ({address}) ввёл по счётчику {meter} {values} — меньше "
              "предыдущего ({previous}). Зарегистрируйте новый счётчик на странице клиента или отклоните "
              "сообщение на странице «Показания».")


def swap_alert(meter, client, values, previous) -> str:
    """To the staff chat: a resident says the meter was replaced."""
    return SWAP_ALERT.format(account=client.account, address=client.address or "—", meter=meter_title(meter),
                             values=values_text(meter, values), previous=values_text(meter, previous))


def open_reminder(closes) -> str:
    return OPEN_REMINDER.format(closes=day(closes), button=BTN_METERS)


def closing_reminder(closes) -> str:
    return CLOSING_REMINDER.format(closes=day(closes), button=BTN_METERS)


def verification_notice(meter, address: str, due) -> str:
    return VERIFICATION.format(meter=meter_title(meter), address=address or "—", due=day(due))


def unit_of(resource: str) -> str:
    return RESOURCES[resource].unit


# --- keyboards ---

def _inline(*rows):
    types = markup.types()
    kb = types.InlineKeyboardMarkup()
    for row in rows:
        kb.row(*(types.InlineKeyboardButton(text, callback_data=data) for text, data in row))
    return kb


def accounts(flow: str, items):
    """One button per (client id, address), then «Отменить»."""
    return _inline(*([(address, codec.dialog_button(flow, "acct", client_id))] for client_id, address in items),
                   [(BTN_CANCEL_INLINE, codec.dialog_button(flow, "cancel"))])


def meter_buttons(flow: str, items):
    """One button per (meter id, label), then «Отменить»."""
    return _inline(*([(label, codec.dialog_button(flow, "meter", meter_id))] for meter_id, label in items),
                   [(BTN_CANCEL_INLINE, codec.dialog_button(flow, "cancel"))])


def swapped_or_retype(flow: str):
    return _inline([(BTN_SWAPPED, codec.dialog_button(flow, "swap")), (BTN_RETYPE, codec.dialog_button(flow, "retype"))])


def right_or_fix(flow: str):
    return _inline([(BTN_RIGHT, codec.dialog_button(flow, "right")), (BTN_FIX, codec.dialog_button(flow, "fix"))])


def send_or_cancel(flow: str):
    return _inline([(BTN_SEND, codec.dialog_button(flow, "send")), (BTN_CANCEL_INLINE, codec.dialog_button(flow, "cancel"))])


def typing():
    """While a value is typed: only «Отмена» below."""
    return markup.reply_keyboard([BTN_CANCEL])


def photo_keyboard():
    return markup.reply_keyboard([BTN_NO_PHOTO], [BTN_CANCEL])


def reminder_switch(wanted: bool):
    """The line «Настройки» adds, and the button that switches the reminders the other way."""
    types = markup.types()
    if wanted:
        return REMINDERS_ON_LINE, types.InlineKeyboardButton(BTN_REMINDERS_OFF, callback_data=codec.METER_REMINDERS_OFF)
    return REMINDERS_OFF_LINE, types.InlineKeyboardButton(BTN_REMINDERS_ON, callback_data=codec.METER_REMINDERS_ON)
