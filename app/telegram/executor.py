"""Everything said to executors in Telegram (Russian): the job card and its buttons, what the
services queue about a job (app.services.requests.executor_jobs, executor_links), and the executor's menu,
list, help and report in the bot (app.bot.executor).

Services decide what happened and pass plain values and models; nothing here imports
app.services (the deadlines on a card come computed). The bot's keyboards are telebot objects,
made on call (app.telegram.markup).
"""
from datetime import datetime

from app.models import Request
from app.models.reference import format_address
from app.telegram import codec, markup
from app.telegram.common import BTN_CANCEL, BTN_DONE, BTN_HELP
from app.timezone import format_local

# --- the job card (queued by app.services.requests.executor_jobs, shown again by the bot) ----------------

BTN_TAKE = "Принял, в работе"
BTN_FINISH = "Выполнено"
DESCRIPTION_SHOWN = 3000  # the card must fit one Telegram message (4 096) with its other lines

NEW_JOB = "🔧 Новое задание"
TAKEN_AWAY = "Заявка № {number} снята с вас: {why}. Выполнять её не нужно."
WHY_REASSIGNED = "её передали другому исполнителю"
WHY_RETURNED = "она возвращена диспетчеру"
STATUS_NEWS = "Заявка № {number}: статус изменён на «{status}» ({who})."
STATUS_NEWS_COMMENT = "\nКомментарий: {comment}"
STATUS_NEWS_COMMENT_MAX = 500
INCIDENT_NEWS = "Авария № {incident} ({category}, {addresses}): статус «{status}», заявок по ней: {count}."
RESIDENT_PHOTO = "Фото жителя к заявке № {number} ({n} из {total})"

# (title, due, where it stands): a deadline still to meet (app.services.requests.deadlines.lines)
Deadline = tuple[str, datetime, str]


def card_text(request: Request, deadlines: list[Deadline], heading: str = "") -> str:
    lines = [heading] if heading else []
    lines.append(f"Заявка № {request.number} от {format_local(request.created_at)} — {request.status_label}")
    if request.emergency:
        lines.append("🚨 Аварийная")
    lines += [f"Категория: {request.category_text}",
              f"Адрес: {request.address or '—'}",
              f"Житель: {request.client_full_name or '—'}",
              f"Телефон: {request.contact_phone or 'не указан'}"]  # E.164: Telegram makes it a tap to call
    lines += [f"{title}: до {format_local(due)} — {text}" for title, due, text in deadlines]
    description = request.description or "(без текста, см. фото)"
    if len(description) > DESCRIPTION_SHOWN:
        description = description[:DESCRIPTION_SHOWN] + "…"
    lines += ["", description]
    return "\n".join(lines)


def card_buttons(request_id: int, take: bool, finish: bool) -> dict | None:
    """The card's buttons (Bot API data, as the outbox keeps them): those the service allows now."""
    row = []
    if take:
        row.append({"text": BTN_TAKE, "callback_data": codec.lasting_button("take", request_id)})
    if finish:
        row.append({"text": BTN_FINISH, "callback_data": codec.lasting_button("finish", request_id)})
    return {"inline_keyboard": [row]} if row else None


def resident_photo(number: str, n: int, total: int) -> str:
    return RESIDENT_PHOTO.format(number=number, n=n, total=total)


def taken_away(number: str, reassigned: bool) -> str:
    return TAKEN_AWAY.format(number=number, why=WHY_REASSIGNED if reassigned else WHY_RETURNED)


def status_news(number: str, status: str, who: str, comment: str = "", card: str = "") -> str:
    """Someone else moved the job: the news, the comment (cut short), and the card again if given."""
    text = STATUS_NEWS.format(number=number, status=status, who=who)
    if comment:
        text += STATUS_NEWS_COMMENT.format(comment=comment[:STATUS_NEWS_COMMENT_MAX])
    return text + "\n\n" + card if card else text


def not_your_job(number: str | None) -> str:
    """A button names a request that is not the presser's job (an unknown one has no number)."""
    named = f" № {number}" if number is not None else ""
    return f"Заявка{named} не ваше задание (её назначили другому исполнителю или сняли с вас)."


def job_not_open(number: str, status: str) -> str:
    return f"Заявка № {number} уже «{status}»: действия по ней больше не нужны."


def already(number: str, status: str) -> str:
    """«Принял, в работе» on a job no longer «назначена» (a second tap)."""
    return f"Заявка № {number} уже «{status}»."


# --- the executor's Telegram account (queued or said by app.services.people.executor_links) -------------

UNBOUND_TEXT = ("Вы отключены от заданий управляющей компании в этом боте. Если это ошибка, "
                "обратитесь в диспетчерскую за новым приглашением.")
INVITATION_INVALID = "Ссылка-приглашение недействительна. Попросите диспетчера создать новую."
INVITATION_USED = "Эта ссылка-приглашение уже использована. Попросите диспетчера создать новую."
INVITATION_EXPIRED = "Срок ссылки-приглашения истёк (она действует 24 часа). Попросите диспетчера создать новую."
INVITATION_EXECUTOR_OFF = ("Исполнитель отключён в справочнике: приглашение не действует. "
                           "Обратитесь в диспетчерскую.")
INVITATION_ALREADY_YOU = "Вы уже подключены как исполнитель «{name}»."
INVITATION_ACCOUNT_TAKEN = ("Этот аккаунт Telegram уже подключён как исполнитель «{name}». "
                            "Попросите диспетчера сначала отключить его.")
INVITATION_OTHER_ACCOUNT = ("Исполнитель уже подключён к боту с другого аккаунта Telegram. "
                            "Попросите диспетчера сначала отключить его.")

# --- the bot: the executor's menu (app.bot.executor) ------------------------------------------------

BTN_MY_JOBS = "Мои задания"
EXECUTOR_BOUND = (
    "Готово! Вы подключены как исполнитель: {name}.\n"
    "Задания, которые вам назначат, будут приходить сюда: принимайте их кнопкой «Принял, в работе» "
    "и отмечайте «Выполнено» (можно приложить фото и комментарий)."
)
EXECUTOR_MENU = "Меню исполнителя. «Мои задания» — ваши открытые задания."
EXECUTOR_HELP = (
    "Что умеет бот для исполнителя:\n"
    "• Новое задание приходит сообщением: номер, адрес, категория, телефон жителя (нажмите на него, "
    "чтобы позвонить), сроки и описание с фото жителя.\n"
    "• «Принял, в работе» — заявка переходит в работу, житель получает уведомление.\n"
    "• «Выполнено» — пришлите фото выполненной работы и/или комментарий и нажмите «Готово»: "
    "заявка отмечается выполненной, отчёт видит диспетчер.\n"
    "• «Мои задания» — ваши открытые задания, ближайший срок сверху.\n\n"
    "Команды: /start — меню, /cancel — отменить текущее действие, /help — эта справка."
)
EXECUTOR_UNKNOWN_INPUT = "Не понял вас. Нажмите «Мои задания», чтобы увидеть задания, или «Помощь»."
NO_JOBS = "Открытых заданий нет. Новые задания придут сюда, как только их назначат."
JOBS_LIST = "Ваши открытые задания ({count}), ближайший срок сверху. Нажмите на задание, чтобы открыть его."
JOBS_LIST_MORE = "Показаны первые {shown} из {count}."
JOB_BUTTON = "№ {number} · {address} · {due}"
JOB_NO_DUE = "без срока"
JOB_TAKEN = "Заявка № {number} принята в работу. Житель получил уведомление."
JOB_TAKEN_SHORT = "Принято в работу"
NOT_EXECUTOR = "Вы не подключены как исполнитель (или вас отключили). Обратитесь в диспетчерскую."
EXECUTOR_OFF = (  # to a former executor, from the resident's menu (app.bot.menu)
    "Здравствуйте! Вы отключены от заданий исполнителя: задания сюда больше не приходят. Если это ошибка, "
    "обратитесь в диспетчерскую.\n\nЕсли вы житель и хотите подавать заявки, нажмите «Идентификация»."
)
NOT_YOUR_JOB_SHORT = "Действие недоступно"

# The report on a job done: text and photos until «Готово» (app.bot.collector's words for it).
REPORT_PROMPT = (
    "Отчёт о выполнении заявки № {number}: пришлите фото выполненной работы и/или комментарий "
    "(необязательно) и нажмите «{done}». «{cancel}» — заявка останется как есть."
)
REPORT_TEXT_SAVED = "Комментарий записан. Можно дополнить его, прислать фото или нажать «{done}»."
REPORT_TEXT_CUT = (
    "Комментарий слишком длинный: сохранены первые {max} символов. Можно прислать фото или нажать «{done}»."
)
REPORT_TEXT_FULL = "Комментарий достиг предела ({max} символов): лишний текст не сохранён. Нажмите «{done}»."
REPORT_NO_WORDS = "Напишите комментарий словами (или пришлите фото), затем нажмите «{done}»."
REPORT_PHOTO_SAVED = "Фото добавлено ({count} из {max}). Можно прислать ещё или нажать «{done}»."
REPORT_WRONG_TYPE = "Такое сообщение не подойдёт для отчёта: пришлите фото или текст, затем нажмите «{done}»."
REPORT_DONE = "Заявка № {number} отмечена выполненной{report}. Житель получил уведомление. Спасибо!"
REPORT_ATTACHED = ", отчёт передан диспетчеру"
REPORT_CANCELLED = "Отчёт отменён: заявка № {number} осталась «{status}»."
REPORT_TOO_LONG = "Отчёт длиннее {max} символов."


def report_prompt(number: str) -> str:
    return REPORT_PROMPT.format(number=number, done=BTN_DONE, cancel=BTN_CANCEL)


def report_done(number: str, attached: bool) -> str:
    return REPORT_DONE.format(number=number, report=REPORT_ATTACHED if attached else "")


def menu():
    """The executor's reply keyboard."""
    return markup.reply_keyboard([BTN_MY_JOBS, BTN_HELP], persistent=True)


def job_list(jobs: list[Request], count: int):
    """«Мои задания»: the text and a button per job (each opens its card); `count` open in all."""
    types = markup.types()
    text = JOBS_LIST.format(count=count)
    if count > len(jobs):
        text += " " + JOBS_LIST_MORE.format(shown=len(jobs), count=count)
    kb = types.InlineKeyboardMarkup()
    for job in jobs:
        label = JOB_BUTTON.format(
            number=job.number, address=format_address("", job.street, job.house, job.house_letter, job.apartment),
            due=("до " + format_local(job.due_at, "%d.%m %H:%M")) if job.due_at else JOB_NO_DUE)
        # the address without the city: where to go, short enough for a button
        kb.row(types.InlineKeyboardButton(label, callback_data=codec.lasting_button("job", job.id)))
    return text, kb


def incident_news(incident: int, category: str, addresses: str, status: str, count: int, note: str = "") -> str:
    """One message to the incident's executor per move, instead of one per linked request."""
    text = INCIDENT_NEWS.format(incident=incident, category=category, addresses=addresses, status=status, count=count)
    return text + (STATUS_NEWS_COMMENT.format(comment=note[:STATUS_NEWS_COMMENT_MAX]) if note else "")
