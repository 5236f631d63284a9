"""Everything said to residents in Telegram (Russian, plain text: no parse mode, so nothing staff
type is read as markup): what the services queue on their own initiative (a dispatcher's message,
a status move, the question «Проблема решена?», app.services.requests.conversation and requests), and every
text and keyboard of the bot's resident dialogs (app.bot). Nothing here imports app.services; the
keyboards are telebot objects made on call (app.telegram.markup).
"""
from app.models import Request
from app.models.conversation import RATINGS, Verdict, stars  # noqa: F401 (stars: the bot shows ratings so)
from app.telegram import codec, markup
from app.telegram.common import BTN_CANCEL, BTN_DONE, BTN_HELP

# --- queued by the services ---------------------------------------------------------------

STAFF_MESSAGE = "Сообщение по заявке № {number}:\n{text}"
STAFF_PHOTO = "Фото по заявке № {number}"
STATUS_NEWS = "Статус вашей заявки № {number} изменён: {status}."
STATUS_NEWS_COMMENT = "\nКомментарий: {comment}"
QUESTION = "Проблема решена?"
BTN_REPLY = "Ответить"
BTN_YES = "Да"
BTN_NO = "Нет"


def staff_message(number: str, text: str) -> str:
    """A dispatcher's message (its photo, if it has no text)."""
    return STAFF_MESSAGE.format(number=number, text=text) if text else STAFF_PHOTO.format(number=number)


def status_news(number: str, status: str, comment: str = "") -> str:
    text = STATUS_NEWS.format(number=number, status=status)
    if comment:
        text += STATUS_NEWS_COMMENT.format(comment=comment)
    return text


def question(news: str) -> str:
    """The status news and the question in one message."""
    return f"{news}\n\n{QUESTION}"


def _markup(*rows: list[tuple[str, str]]) -> dict:
    """Inline buttons as Bot API data (as the outbox keeps them)."""
    return {"inline_keyboard": [[{"text": text, "callback_data": data} for text, data in row] for row in rows]}


def reply_markup(request_id: int) -> dict:
    return _markup([(BTN_REPLY, codec.lasting_button("write", request_id))])


def question_markup(request_id: int) -> dict:
    return _markup([(BTN_YES, codec.lasting_button("yes", request_id)),
                    (BTN_NO, codec.lasting_button("no", request_id))])


# The answers about finished work refused (app.services.requests.lifecycle: answer_confirmation, rate).
NOT_RATABLE = "Оценить можно заявку, выполнение которой вы подтвердили; заявка № {number} сейчас «{status}»."
ALREADY_RATED = "Оценка по заявке № {number} уже сохранена: {rating}."
RATING_RANGE = "Оценка — от 1 до 5."


def question_closed(request: Request) -> str:
    """Why «Да» / «Нет» no longer answers anything."""
    number = request.number
    if request.verdict == Verdict.CONFIRMED:
        return f"Вы уже ответили, что проблема по заявке № {number} решена."
    if request.verdict == Verdict.RETURNED:
        return f"Вы уже ответили: заявка № {number} возвращена в работу."
    if request.verdict == Verdict.AUTO_CLOSED:
        return f"Заявка № {number} уже закрыта автоматически: ответа на вопрос не было."
    return f"Этот вопрос больше не актуален: заявка № {number} сейчас «{request.status_label}»."


# --- incidents (аварии): queued by app.services.incidents ----------------------------------

INCIDENT_NEWS = "{requests}: статус изменён на «{status}» — по аварии № {incident}."
INCIDENT_NOTE = "\n{note}"
INCIDENT_MESSAGE = "Сообщение по аварии № {incident} ({requests}):\n{text}"
INCIDENT_JOINED = ("Ваша заявка № {number} присоединена к аварии № {incident}: о ходе работ сообщим здесь."
                   "\n{description}")


def requests_phrase(numbers: list) -> str:
    """«Ваша заявка № 5» / «Ваши заявки № 5, 7»."""
    listed = ", ".join(str(n) for n in numbers)
    return f"Ваша заявка № {listed}" if len(numbers) == 1 else f"Ваши заявки № {listed}"


def incident_news(numbers: list, status: str, incident: int, note: str = "") -> str:
    """One message to a resident about every request of theirs an incident's move moved."""
    text = INCIDENT_NEWS.format(requests=requests_phrase(numbers), status=status, incident=incident)
    return text + (INCIDENT_NOTE.format(note=note) if note else "")


def incident_comment(incident: int, note: str = "") -> str:
    """The history line of a request moved by its incident, and the note the resident's question carries."""
    return f"По аварии № {incident}" + (f": {note}" if note else "")


def incident_message(incident: int, numbers: list, text: str) -> str:
    listed = ", ".join(f"№ {n}" for n in numbers)
    label = "заявка" if len(numbers) == 1 else "заявки"
    return INCIDENT_MESSAGE.format(incident=incident, requests=f"{label} {listed}", text=text)


def incident_joined(number: int, incident: int, description: str) -> str:
    return INCIDENT_JOINED.format(number=number, incident=incident, description=description).strip()


# The bot tells the next resident at an affected address (app.bot.new_request).
INCIDENT_KNOWN = "По вашему дому{entrances} уже известно: {description}\nОжидаемое время устранения: {expected}."
INCIDENT_EXPECTED_UNKNOWN = "уточняется"
BTN_FOLLOW = "Сообщать мне о ходе работ"
BTN_OTHER_PROBLEM = "У меня другая проблема"
INCIDENT_FOLLOWED = ("Заявка № {number} принята и присоединена к аварии № {incident} — описывать проблему не нужно. "
                     "О ходе работ сообщим здесь.")
INCIDENT_GONE = "Эта авария уже устранена или закрыта. Опишите, пожалуйста, вашу проблему."
JOINED_DESCRIPTION = "Житель присоединился к аварии № {incident} в Telegram."
# «Мои заявки»: a linked request shows its incident's state.
MY_REQUEST_INCIDENT = " · авария: {status}"
CARD_INCIDENT = "Авария № {incident}: {status}. {description}"
CARD_INCIDENT_EXPECTED = "Ожидаемое время устранения: {expected}"


def incident_known(description: str, expected: str | None, entrances: str = "") -> str:
    """`entrances`: the incident's note for the resident's house, worded («подъезды 1–3»), or ""."""
    return INCIDENT_KNOWN.format(description=description, expected=expected or INCIDENT_EXPECTED_UNKNOWN,
                                 entrances=f" ({entrances})" if entrances else "")


def incident_choice(flow: str):
    """«Сообщать мне о ходе работ» / «У меня другая проблема», then «Отменить»."""
    types = markup.types()
    kb = types.InlineKeyboardMarkup()
    kb.row(types.InlineKeyboardButton(BTN_FOLLOW, callback_data=codec.dialog_button(flow, "follow")))
    kb.row(types.InlineKeyboardButton(BTN_OTHER_PROBLEM, callback_data=codec.dialog_button(flow, "other")))
    kb.row(types.InlineKeyboardButton(BTN_CANCEL_INLINE, callback_data=codec.dialog_button(flow, "cancel")))
    return kb


# --- the bot's resident dialogs: texts ---------------------------------------------------

# Reply-keyboard buttons. Handlers match them by exact text, so they live here only (or in
# app.telegram.common: those the executor's menu has too).
BTN_IDENTIFY = "Идентификация"
BTN_CREATE = "Создать заявку"
BTN_MY_REQUESTS = "Мои заявки"
BTN_SETTINGS = "Настройки"
BTN_SHARE_PHONE = "📱 Отправить мой номер"
BTN_ADD_ACCOUNT = "Добавить лицевой счёт"
BTN_MY_ADDRESSES = "Мои адреса"

# Inline buttons.
BTN_BACK = "« Назад"
BTN_CANCEL_INLINE = "Отменить"
BTN_PHONE_YES = "Да, это мой номер"
BTN_PHONE_NO = "Нет, другой номер"
BTN_REPLACE_OLD = "Да, удалить старый"
BTN_KEEP_BOTH = "Нет, оставить оба"
BTN_RATING = "{n} ★"  # the texts asking for a rating say what the ends mean (1 — плохо … 5 — отлично)

WELCOME_UNKNOWN = (
    "Здравствуйте! Это бот управляющей компании: здесь можно подать заявку "
    "(протечка, не работает лифт, темно в подъезде) и следить за её статусом.\n\n"
    "Сначала нужно пройти идентификацию по номеру лицевого счёта — "
    "нажмите кнопку «Идентификация»."
)
MAIN_MENU = "Главное меню. Выберите действие кнопкой ниже."
ALREADY_IDENTIFIED = (
    "Вы уже идентифицированы по лицевому счёту № {account}. Чтобы привязать ещё одну квартиру, "
    "нажмите «Добавить лицевой счёт»."
)
UNKNOWN_INPUT_MENU = "Не понял вас. Выберите действие кнопкой ниже: «Создать заявку», «Мои заявки» или «Помощь»."
NEEDS_IDENTIFICATION = "Эта функция доступна после идентификации. Нажмите «Идентификация»."
BINDING_LOST = (
    "Ваша привязка к лицевому счёту больше не действует (к счёту привязались другие жильцы "
    "или её сняла управляющая компания). Пройдите идентификацию заново."
)
HELP = (
    "Что умеет бот:\n"
    "• «Создать заявку» — выберите категорию и подкатегорию, опишите проблему "
    "(можно приложить фото), подтвердите номер телефона. Бот пришлёт номер заявки.\n"
    "• «Мои заявки» — ваши заявки и их статусы. Откройте заявку, чтобы увидеть подробности "
    "и написать диспетчеру (текст и фото); ответ диспетчера придёт сюда.\n"
    "• Когда диспетчер меняет статус заявки, бот присылает уведомление. Когда заявка выполнена, "
    "бот спросит, решена ли проблема: если нет, заявка вернётся в работу.\n"
    "• «Добавить лицевой счёт» — привязать ещё одну квартиру; «Мои адреса» — привязанные "
    "лицевые счета, там же их можно отвязать.\n"
    "• «Передать показания» — показания счётчиков воды, электроэнергии, тепла и газа "
    "в дни приёма (бот проверит их и напомнит о сроках).\n"
    "• «Настройки» — получать или не получать объявления управляющей компании "
    "(об отключениях воды, света, отопления), удалить свои данные из бота.\n\n"
    "Команды: /start — начать сначала, /cancel — отменить текущее действие, /help — эта справка.\n"
    "Адрес берётся из данных управляющей компании; если он неверный, позвоните в диспетчерскую."
)
HELP_UNKNOWN = (
    "Чтобы подавать заявки, пройдите идентификацию: нажмите «Идентификация», введите номер "
    "лицевого счёта (он напечатан в квитанции) и номер телефона.\n\n"
    "Команды: /start — начать сначала, /cancel — отменить текущее действие, /help — эта справка."
)

# Identification.
ASK_ACCOUNT = (
    "Введите номер лицевого счёта (ЛС) — только цифры, он напечатан в квитанции "
    "за коммунальные услуги."
)
ACCOUNT_DIGITS_ONLY = "Номер лицевого счёта состоит только из цифр. Введите его ещё раз, например 100234."
ACCOUNT_TOO_LONG = "Слишком длинный номер: лицевой счёт — не больше {max} цифр. Проверьте и введите ещё раз."
ACCOUNT_NOT_TEXT = "Пришлите номер лицевого счёта текстом — только цифры."
ACCOUNT_UNKNOWN = (
    "Лицевой счёт № {account} не найден. Проверьте номер по квитанции и введите ещё раз. "
    "Если номер верный, обратитесь в управляющую компанию."
)
THROTTLED = (
    "Слишком много неверных попыток. Идентификация временно недоступна — "
    "попробуйте через {minutes} мин."
)
ASK_PHONE = (
    "Лицевой счёт найден. Теперь укажите ваш номер телефона: нажмите кнопку "
    "«{button}» или введите номер, например +7 912 345-67-89."
)
PHONE_NOT_TEXT = "Пришлите номер телефона текстом или кнопкой «{button}»."
FOREIGN_CONTACT = (
    "Это чужой контакт. Нажмите кнопку «{button}», чтобы отправить свой номер, "
    "или введите его вручную."
)
IDENTIFIED = (
    "Готово! Вы привязаны к лицевому счёту № {account}.\nАдрес: {address}\n"
    "Телефон: {phone}\n\nТеперь можно подавать заявки."
)

ACCOUNT_ALREADY_YOURS = (
    "Лицевой счёт № {account} уже привязан к вам. Введите номер другого лицевого счёта "
    "или нажмите «Отмена»."
)

# Consent to personal data (152-ФЗ): the notice is the company's text, one version of it at a time.
CONSENT_TITLE = "Согласие на обработку персональных данных"
CONSENT_DEFAULT_NOTICE = (
    "Чтобы принимать и выполнять ваши заявки, управляющая компания хранит: ваш номер телефона, "
    "привязку к лицевому счёту (имя и адрес по нему), ваши заявки, сообщения и фото по ним.\n"
    "Зачем: чтобы принять заявку, связаться с вами по ней и сообщить о её выполнении.\n"
    "Сколько: пока вы пользуетесь ботом. Заявки хранятся как документы управляющей компании.\n"
    "Как отозвать: в боте «Настройки» → «Удалить мои данные», или позвоните в диспетчерскую."
)
CONSENT_POLICY = "Полный текст политики обработки персональных данных: {url}"
CONSENT_VERSION = "Редакция № {number}."
CONSENT_QUESTION = "Вы согласны на обработку ваших персональных данных?"
CONSENT_CHANGED = "Текст согласия на обработку персональных данных изменился. Прочитайте, пожалуйста, новую редакцию."
BTN_AGREE = "Согласен"
BTN_DISAGREE = "Не согласен"
CONSENT_AGREED = "Спасибо, согласие сохранено."
CONSENT_REFUSED = (
    "Без вашего согласия бот не может хранить ваши данные, поэтому подать заявку через бот нельзя. "
    "Заявку можно подать по телефону диспетчерской{phone}. Если передумаете, нажмите «Согласен» "
    "под текстом согласия."
)
CONSENT_PHONE = ": {phone}"
CONSENT_OUTDATED = "Эта редакция согласия устарела. Прочитайте действующую:"
CONSENT_FIRST = "Сначала ответьте, пожалуйста, согласны ли вы на обработку персональных данных."

# Several flats: «Мои адреса».
MY_ADDRESSES = "Ваши адреса (привязанные лицевые счета):"
MY_ADDRESS = "• ЛС № {account}: {address}, телефон {phone}"
NO_ADDRESSES = "К вам не привязан ни один лицевой счёт. Нажмите «Идентификация»."
BTN_UNBIND = "Отвязать № {account}"
UNBOUND = "Лицевой счёт № {account} отвязан от вас."
UNBIND_GONE = "Этот лицевой счёт уже не привязан к вам."
CHOOSE_ADDRESS = "По какому адресу?"
ADDRESS_CHOSEN = "Адрес: {address}"
ADDRESS_GONE = "Этот адрес больше не привязан к вам. Выберите другой:"

# «Удалить мои данные».
BTN_FORGET = "Удалить мои данные"
BTN_FORGET_YES = "Да, удалить"
BTN_FORGET_NO = "Нет, оставить"
FORGET_ASK = (
    "Удалить ваши данные из бота? Бот отвяжет все ваши лицевые счета ({accounts}), забудет ваш номер "
    "телефона и то, что вы ему писали, и больше не будет присылать уведомления. Заявки останутся "
    "у управляющей компании как документы. Начать заново можно командой /start."
)
FORGOTTEN = "Ваши данные удалены из бота. Чтобы снова пользоваться ботом, нажмите /start."
FORGET_KEPT = "Хорошо, ваши данные остаются."

# Request creation.
NO_CATEGORIES = "Подача заявок временно недоступна: справочник категорий пуст. Позвоните в диспетчерскую."
CHOOSE_CATEGORY = "Новая заявка. Выберите категорию:"
CHOOSE_BUTTON = "Пожалуйста, выберите вариант кнопкой под сообщением."
CATEGORY_GONE = "Категория «{name}» больше недоступна. Выберите другую:"
CATEGORY_GONE_NAMELESS = "Эта категория больше недоступна. Выберите другую:"
SUBCATEGORY_GONE = "Подкатегория больше недоступна. Выберите другую:"
CHOOSE_SUBCATEGORY = "Категория: {category}\nВыберите подкатегорию:"
CHOSEN = "Категория: {category}"
CHOSEN_SUB = "Категория: {category} / {subcategory}"
ASK_DESCRIPTION = (
    "Опишите проблему: что случилось и где (подъезд, этаж, помещение). "
    "Можно приложить фото. Когда закончите, нажмите «{done}»."
)
DESCRIPTION_SAVED = "Записал. Можно дополнить описание, приложить фото или нажать «{done}»."
DESCRIPTION_CUT = (
    "Описание слишком длинное: сохранены первые {max} символов. "
    "Можно приложить фото или нажать «{done}»."
)
DESCRIPTION_FULL = "Описание уже заполнено до предела ({max} символов); лишний текст не сохранён. Нажмите «{done}»."
DESCRIPTION_NO_WORDS = "Опишите, пожалуйста, проблему словами: что случилось и где."
DESCRIPTION_EMPTY = "Сначала опишите проблему текстом или пришлите фото, затем нажмите «{done}»."
DESCRIPTION_WRONG_TYPE = "Такое сообщение не подойдёт. Опишите проблему текстом и/или пришлите фото."
PHOTO_SAVED = "Фото добавлено ({count} из {max}). Можно прислать ещё, дополнить описание или нажать «{done}»."
PHOTO_TOO_BIG = "Файл больше {mb} МБ — такой не сохранить. Пришлите фото поменьше или сожмите его."
PHOTO_LIMIT = "К заявке можно приложить не больше {max} фото: лишние фото не сохранены. Нажмите «{done}»."
SUMMARY = (
    "Проверьте заявку:\n"
    "Категория: {category}\n"
    "Адрес: {address}\n"
    "Описание: {description}\n"
    "Фото: {photos}\n\n"
    "Ваш номер телефона {phone}?"
)
NO_DESCRIPTION = "(без текста, см. фото)"
DESCRIPTION_DONE = "Описание принято."
NEW_PHONE_TAKEN = "Новый номер: {phone}."
ASK_NEW_PHONE = (
    "Укажите номер телефона для связи по заявке: нажмите «{button}» или введите номер, "
    "например +7 912 345-67-89."
)
ASK_DROP_OLD = "Удалить старый номер {old}? Если оставить, у вас будут оба номера."
REQUEST_CREATED = (
    "Заявка № {number} принята.\nКатегория: {category}\nАдрес: {address}\nТелефон: {phone}{due}\n\n"
    "Мы сообщим, когда статус заявки изменится."
)
DUE = "Срок выполнения: до {due}"  # the completion norm's deadline, local time (none without a norm)
ALREADY_CREATED = "Заявка № {number} уже принята."
REQUEST_FAILED = "Не удалось создать заявку: {reason}"

# «Мои заявки»: the list and a request's card.
NO_REQUESTS = "У вас пока нет заявок. Нажмите «Создать заявку», чтобы подать первую."
MY_REQUESTS_PAGE = "Ваши заявки ({first}–{last} из {total}), новые сверху. Нажмите на заявку, чтобы открыть её."
MY_REQUEST_BUTTON = "№ {number} · {date} · {category} · {status}"
BTN_MORE = "Ещё »"
BTN_TO_LIST = "« К списку"
BTN_WRITE = "Написать по заявке"
CARD = (
    "Заявка № {number} от {date}\n"
    "Категория: {category}\n"
    "Адрес: {address}\n"
    "Статус: {status} с {since}\n"
    "Исполнитель: {executor}"
)
CARD_NO_EXECUTOR = "ещё не назначен"
CARD_FILED_BY = "Подал(а): {who}"
FILED_BY_YOU = "вы"
FILED_BY_OTHER = "другой житель"
FILED_BY_PHONE = "по телефону"
CARD_OTHERS = "Заявку подал другой житель этого адреса: писать по ней и отвечать на вопросы может он."
CARD_RATING = "Ваша оценка: {stars}"
CARD_ASKED = "Заявка выполнена. Проблема решена? Ответьте кнопкой ниже."
CARD_RATE = "Оцените, пожалуйста, работу кнопкой ниже: 1 — плохо … 5 — отлично."
CARD_MESSAGES = "Последние сообщения:"
CARD_MESSAGE = "{time} {who}: {text}"
CARD_YOU = "Вы"
CARD_STAFF = "Диспетчер"
CARD_PHOTO = "[фото]"
NOT_YOURS = "Такой заявки нет среди ваших. Откройте «Мои заявки», чтобы увидеть свои заявки."
NOT_YOURS_SHORT = "Заявка недоступна."
AUTHOR_ONLY = (
    "Заявку № {number} подал другой житель вашего адреса: писать по ней и отвечать на вопросы может "
    "только он. Её статус виден в «Мои заявки»."
)
NOT_BOUND = (
    "Заявка № {number} подана по лицевому счёту, к которому вы больше не привязаны (к счёту "
    "привязались другие жильцы или привязку сняла управляющая компания). Пройдите идентификацию "
    "заново или позвоните в диспетчерскую."
)

# Writing to the dispatcher about a request, and the answers about finished work.
WRITE_PROMPT = (
    "Напишите сообщение по заявке № {number}: текст или фото, можно несколько. Диспетчер увидит их "
    "в карточке заявки, ответ придёт сюда. Когда закончите, нажмите «{done}»."
)
WRITE_CLOSED_NOTE = (
    "Заявка закрыта: диспетчер увидит сообщение, но заявка не откроется заново. Если проблема "
    "вернулась, лучше создать новую заявку."
)
WRITE_SENT = "Передано диспетчеру — добавлено к заявке № {number}. Можно написать ещё или нажать «{done}»."
WRITE_PHOTO_SENT = "Фото передано диспетчеру — добавлено к заявке № {number}. Можно прислать ещё или нажать «{done}»."
WRITE_NO_WORDS = "Такое сообщение диспетчеру не понять: напишите словами или пришлите фото."
WRITE_CUT = (
    "Сообщение слишком длинное: к заявке № {number} добавлены первые {max} символов. "
    "Можно написать ещё или нажать «{done}»."
)
WRITE_WRONG_TYPE = (
    "Такое сообщение не передать диспетчеру: пришлите текст или фото. Стикеры, голосовые, видео "
    "и файлы не принимаются."
)
WRITE_DONE = "Готово: сообщений по заявке № {number} передано диспетчеру — {count}. Ответ придёт сюда."
WRITE_NOTHING = "Вы ничего не написали по заявке № {number}."
WRITE_ARCHIVED = "Заявка № {number} в архиве: написать по ней нельзя. Если проблема вернулась, создайте новую заявку."
CONFIRMED = "Спасибо! Заявка № {number} закрыта. Оцените, пожалуйста, работу: 1 — плохо … 5 — отлично."
RETURNED = (
    "Заявка № {number} возвращена в работу, диспетчер уже видит это. Что не так? Опишите, "
    "пожалуйста (можно приложить фото), и нажмите «{done}»."
)
RATED = "Ваша оценка работы по заявке № {number}: {stars}. Спасибо!"
ASK_FEEDBACK = "Если хотите, напишите комментарий к работе — его прочитает диспетчер. Или нажмите «{done}»."

# Buttons of old messages.
STALE_BUTTON_HINT = "Эта кнопка от старого сообщения и уже не действует. Продолжим с текущего шага."
STALE_BUTTON_IDLE = "Эта кнопка от старого сообщения и уже не действует. Выберите действие в меню ниже."

# Settings: announcements on or off.
SETTINGS_NOTICES_ON = (
    "Объявления управляющей компании — об отключениях воды, света, отопления, о работах в доме — "
    "вы получаете.\n\nУведомления по вашим заявкам приходят всегда, эта настройка на них не влияет."
)
SETTINGS_NOTICES_OFF = (
    "Объявления управляющей компании — об отключениях воды, света, отопления, о работах в доме — "
    "вы не получаете.\n\nУведомления по вашим заявкам приходят всегда, эта настройка на них не влияет."
)
BTN_NOTICES_OFF = "Объявления: не получать"
BTN_NOTICES_ON = "Объявления: получать"
NOTICES_OFF_DONE = "Объявления отключены"
NOTICES_ON_DONE = "Объявления включены"


# --- the bot's resident dialogs: keyboards (buttons' data: app.telegram.codec) ----------

def main_menu():
    from app.telegram.meters import BTN_METERS  # that module builds on this one
    return markup.reply_keyboard([BTN_CREATE, BTN_METERS], [BTN_MY_REQUESTS, BTN_MY_ADDRESSES], [BTN_ADD_ACCOUNT],
                                 [BTN_SETTINGS, BTN_HELP], persistent=True)


def identify_only():
    return markup.reply_keyboard([BTN_IDENTIFY], persistent=True)


def cancel_only():
    return markup.reply_keyboard([BTN_CANCEL])


def share_phone():
    return markup.reply_keyboard([markup.types().KeyboardButton(BTN_SHARE_PHONE, request_contact=True)],
                                 [BTN_CANCEL])


def choices(flow: str, action: str, items, back: bool = False):
    """One button per (id, name) item, then «Назад» (optional) and «Отменить»."""
    types = markup.types()
    kb = types.InlineKeyboardMarkup()
    for item_id, name in items:
        kb.row(types.InlineKeyboardButton(name, callback_data=codec.dialog_button(flow, action, item_id)))
    last = []
    if back:
        last.append(types.InlineKeyboardButton(BTN_BACK, callback_data=codec.dialog_button(flow, "back")))
    last.append(types.InlineKeyboardButton(BTN_CANCEL_INLINE, callback_data=codec.dialog_button(flow, "cancel")))
    kb.row(*last)
    return kb


def yes_no(flow: str, yes: tuple[str, str], no: tuple[str, str]):
    """Two answers (label, action). No «Отменить»: these steps show the reply keyboard's «Отмена»."""
    types = markup.types()
    kb = types.InlineKeyboardMarkup()
    kb.row(
        types.InlineKeyboardButton(yes[0], callback_data=codec.dialog_button(flow, yes[1])),
        types.InlineKeyboardButton(no[0], callback_data=codec.dialog_button(flow, no[1])),
    )
    return kb


def writing():
    """Writing to the dispatcher: every message is kept at once, «Готово» just ends it."""
    return markup.reply_keyboard([BTN_DONE])


def request_list(items, page: int, more: bool):
    """A button per (request id, label), then «Назад» / «Ещё» between pages."""
    types = markup.types()
    kb = types.InlineKeyboardMarkup()
    for request_id, text in items:
        kb.row(types.InlineKeyboardButton(text, callback_data=codec.lasting_button("card", request_id)))
    pages = []
    if page > 0:
        pages.append(types.InlineKeyboardButton(BTN_BACK, callback_data=codec.lasting_button("list", page - 1)))
    if more:
        pages.append(types.InlineKeyboardButton(BTN_MORE, callback_data=codec.lasting_button("list", page + 1)))
    if pages:
        kb.row(*pages)
    return kb


ON_CARD = "card"  # the arg of the card's answers: the card is redrawn, not stripped of its buttons


def request_card(request_id: int, writable: bool, asked: bool, ratable: bool):
    """The card's buttons: the open question «Проблема решена?» and the rating are answerable here
    too (the message that asked may be long gone), then writing and the way back to the list."""
    types = markup.types()
    kb = types.InlineKeyboardMarkup()
    if asked:
        kb.row(types.InlineKeyboardButton(BTN_YES, callback_data=codec.lasting_button("yes", request_id, ON_CARD)),
               types.InlineKeyboardButton(BTN_NO, callback_data=codec.lasting_button("no", request_id, ON_CARD)))
    if ratable:
        kb.row(*_rating_buttons(request_id))
    if writable:
        kb.row(types.InlineKeyboardButton(BTN_WRITE, callback_data=codec.lasting_button("write", request_id)))
    kb.row(types.InlineKeyboardButton(BTN_TO_LIST, callback_data=codec.lasting_button("list", 0)))
    return kb


def rating(request_id: int):
    types = markup.types()
    kb = types.InlineKeyboardMarkup()
    kb.row(*_rating_buttons(request_id))
    return kb


def _rating_buttons(request_id: int):
    types = markup.types()
    return [types.InlineKeyboardButton(BTN_RATING.format(n=n),
                                       callback_data=codec.lasting_button("rate", request_id, n))
            for n in RATINGS]


def settings_message(wanted: bool, reminders_wanted: bool):
    """«Настройки»: the announcements' and the meter reminders' settings in words, a button switching each
    the other way, then the accounts' buttons."""
    from app.telegram.meters import reminder_switch  # that module builds on this one
    types = markup.types()
    kb = types.InlineKeyboardMarkup()
    if wanted:
        kb.row(types.InlineKeyboardButton(BTN_NOTICES_OFF, callback_data=codec.NOTICES_OFF))
    else:
        kb.row(types.InlineKeyboardButton(BTN_NOTICES_ON, callback_data=codec.NOTICES_ON))
    reminders_line, reminders_button = reminder_switch(reminders_wanted)
    kb.row(reminders_button)
    kb.row(types.InlineKeyboardButton(BTN_MY_ADDRESSES, callback_data=codec.SETTINGS_ADDRESSES),
           types.InlineKeyboardButton(BTN_ADD_ACCOUNT, callback_data=codec.SETTINGS_ADD_ACCOUNT))
    kb.row(types.InlineKeyboardButton(BTN_FORGET, callback_data=codec.SETTINGS_FORGET))
    return f"{SETTINGS_NOTICES_ON if wanted else SETTINGS_NOTICES_OFF}\n\n{reminders_line}", kb


def consent_message(version, changed: bool = False, prefix: str = ""):
    """The notice of this version (ConsentVersion), its policy's address and «Согласен» / «Не согласен»."""
    parts = [prefix or (CONSENT_CHANGED if changed else ""), CONSENT_TITLE, version.notice]
    if version.policy_url:
        parts.append(CONSENT_POLICY.format(url=version.policy_url))
    parts.append(CONSENT_VERSION.format(number=version.number) + " " + CONSENT_QUESTION)
    types = markup.types()
    kb = types.InlineKeyboardMarkup()
    kb.row(types.InlineKeyboardButton(BTN_AGREE, callback_data=codec.consent_button(True, version)),
           types.InlineKeyboardButton(BTN_DISAGREE, callback_data=codec.consent_button(False, version)))
    return "\n\n".join(part for part in parts if part), kb


def consent_refused(phone: str) -> str:
    """`phone`: the dispatchers' number as people read it, or empty."""
    return CONSENT_REFUSED.format(phone=CONSENT_PHONE.format(phone=phone) if phone else "")


def addresses_message(accounts):
    """«Мои адреса»: (client id, account, address, phone) per bound account, «Отвязать» under each."""
    types = markup.types()
    kb = types.InlineKeyboardMarkup()
    lines = [MY_ADDRESSES]
    for client_id, account, address, phone in accounts:
        lines.append(MY_ADDRESS.format(account=account, address=address or "—", phone=phone))
        kb.row(types.InlineKeyboardButton(BTN_UNBIND.format(account=account),
                                          callback_data=codec.account_button("unbind", client_id)))
    kb.row(types.InlineKeyboardButton(BTN_ADD_ACCOUNT, callback_data=codec.SETTINGS_ADD_ACCOUNT))
    return "\n".join(lines), kb


def forget_offer():
    """Under a refusal of a resident who is bound: the way to have their data deleted."""
    types = markup.types()
    kb = types.InlineKeyboardMarkup()
    kb.row(types.InlineKeyboardButton(BTN_FORGET, callback_data=codec.SETTINGS_FORGET))
    return kb
