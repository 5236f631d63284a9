"""The bot for executors: the invitation, the executor's menu, «Мои задания», taking a job and
reporting it done.

A Telegram user bound to an executor (app.services.people.executor_links) sees this menu and never
the resident's: the rows of EXECUTOR_STEPS go before every resident row (bot.handler_table) and
each applies only to such a user (`is_executor`, looked up once per update).

State table:
    state            expected input                                -> next state
    any state        /start inv_<code> (the invitation's link)    -> none: bound, the executor's menu;
                                                                      a bad code: why, and the usual menu
  for an executor:
    any state        /start, /cancel, «Отмена», /help, «Помощь»    -> none: the executor's menu (or help)
    any state        «Мои задания»                                 -> unchanged: the open jobs as buttons
    Report:collect   text, a photo, an album, an image as a file   -> Report:collect (gathered by the
                                                                      collector: REPORT)
                     «Готово»                                      -> none: the job «выполнена», report kept
                     anything else                                 -> Report:collect (a hint)
    none             anything else                                 -> none: the menu's hint
  lasting buttons (at every step; a non-executor is refused):
    «Принял, в работе» on a job's card                             -> unchanged: «в работе», card redrawn
    «Выполнено»                                                    -> Report:collect
    a job of «Мои задания»                                         -> unchanged: its card
Each press is checked against the database (executor_jobs.job_of): another executor's job, a job
taken away, closed or moved on, or a revoked binding is refused with the reason, nothing changed.
"""
from telebot.states import State, StatesGroup

from app.bot import menu, photos
from app.bot.collector import Collector, Limits, Voice, gathered
from app.bot.dialog import REPROMPTS, current
from app.bot.incoming import is_image_document, text_is
from app.bot.routing import ANY_CONTENT, ANY_STATE, Input, Step, content, lasting
from app.extensions import db
from app.models import Executor
from app.services.requests import executor_jobs
from app.services.people import executor_links
from app.services.messaging import outbox
from app.services.requests import lifecycle as request_service
from app.services.requests.executor_jobs import JobError
from app.services.requests.lifecycle import DESCRIPTION_MAX, PHOTOS_MAX, RequestError
from app.telegram import common
from app.telegram import executor as executor_voice
from app.telegram.codec import parse_lasting_button


class Report(StatesGroup):
    collect = State()


# --- who is an executor -------------------------------------------------------------------

def _executor_id(turn) -> int | None:
    """The id of the executor the turn's Telegram user is bound to: read with the dialog state
    (app.bot.storage), unless this update bound them (on_invitation)."""
    if "executor_id" not in turn.facts:
        turn.facts["executor_id"] = turn.bot.current_states.fact(turn.user_id, "executor_id")
    return turn.facts["executor_id"]


def executor_of(turn) -> Executor | None:
    executor_id = _executor_id(turn)
    return db.session.get(Executor, executor_id) if executor_id is not None else None


def is_executor(update) -> bool:
    return _executor_id(current()) is not None


def is_invitation(message) -> bool:
    parts = (message.text or "").split(maxsplit=1)
    return len(parts) == 2 and executor_links.is_code(parts[1])


# --- the menu --------------------------------------------------------------------------------

def home(turn, text: str = executor_voice.EXECUTOR_MENU) -> None:
    turn.finish()
    turn.send(text, executor_voice.menu())


def on_invitation(message) -> None:
    turn = current()
    code = message.text.split(maxsplit=1)[1].strip()
    try:
        executor = executor_links.redeem(code, turn.user_id, turn.chat_id, executor_links.telegram_name(message.from_user))
    except executor_links.InvitationError as error:
        if executor_of(turn) is not None:
            home(turn, str(error))
        else:  # the resident's (or a newcomer's) menu
            menu.home(turn, str(error))
        return
    turn.facts["executor_id"] = executor.id
    home(turn, executor_voice.EXECUTOR_BOUND.format(name=executor.full_name))
    send_jobs(turn, executor, none=None)  # jobs assigned before the binding, if any


def on_start(message) -> None:
    home(current())


def on_cancel(message) -> None:
    turn = current()
    if turn.state == Report.collect.name:
        data = turn.data
        home(turn, executor_voice.REPORT_CANCELLED.format(number=data.get("number"), status=data.get("status", "")))
    else:
        home(turn, common.CANCELLED + " " + executor_voice.EXECUTOR_MENU)


def on_help(message) -> None:
    turn = current()
    turn.send(executor_voice.EXECUTOR_HELP, None if turn.state else executor_voice.menu())
    turn.reprompt()


def on_jobs(message) -> None:
    turn = current()
    send_jobs(turn, executor_of(turn))


def send_jobs(turn, executor, none: str | None = executor_voice.NO_JOBS) -> None:
    """The open jobs as buttons; without any, `none` is said (if given)."""
    jobs = executor_jobs.open_jobs(executor, limit=executor_jobs.LISTED + 1)
    if not jobs:
        if none:
            turn.send(none)
        return
    count = executor_jobs.count_open(executor) if len(jobs) > executor_jobs.LISTED else len(jobs)
    turn.send(*executor_voice.job_list(jobs[:executor_jobs.LISTED], count))


def on_leftover(message) -> None:
    current().send(executor_voice.EXECUTOR_UNKNOWN_INPUT, executor_voice.menu())


def on_stale_button(call) -> None:
    """A button no executor row takes. One of the message's own (a resident's old keyboard) is
    removed; forged or unreadable data leaves the message, a job's card, as it is."""
    turn = current()
    turn.answer(common.STALE_BUTTON)
    if call.message is not None and _is_on(call.message, call.data):
        turn.remove_buttons(call.message.message_id)


def _is_on(message, data: str | None) -> bool:
    rows = message.reply_markup.keyboard if message.reply_markup is not None else []
    return any(button.callback_data == data for row in rows for button in row)


# --- the job's buttons -------------------------------------------------------------------------

def _job(call, lock: bool = False):
    """The job a lasting button names, if the presser may act on it now; None (refused, said why) if not."""
    turn = current()
    executor = executor_of(turn)
    if executor is None:
        turn.answer(executor_voice.NOT_YOUR_JOB_SHORT)
        turn.send(executor_voice.NOT_EXECUTOR)
        return None, None
    _, request_id, _ = parse_lasting_button(call.data)
    try:
        return executor, executor_jobs.job_of(request_id, executor, lock=lock)
    except JobError as error:  # the message stays as it is: forged data may name another request than it
        turn.answer(executor_voice.NOT_YOUR_JOB_SHORT)
        turn.send(str(error))
        return executor, None


def card(request) -> tuple[str, str | None]:
    """The job's card as the bot sends it (the buttons come as Bot API data, as the outbox keeps them)."""
    text, buttons = executor_jobs.card(request)
    return text, outbox.markup_json(buttons) or None


def on_open(call) -> None:
    turn = current()
    _, request = _job(call)
    if request is None:
        return
    turn.answer()
    turn.send(*card(request))


def on_take(call) -> None:
    turn = current()
    executor, request = _job(call, lock=True)
    if request is None:
        return
    try:
        request_service.executor_take(request, executor)
    except RequestError as error:  # «в работе» already (a second tap): say so
        turn.answer(executor_voice.NOT_YOUR_JOB_SHORT)
        turn.send(str(error))
        return
    turn.answer(executor_voice.JOB_TAKEN_SHORT)
    turn.send(executor_voice.JOB_TAKEN.format(number=request.number))
    if call.message is not None and not call.message.photo:  # the card now offers what is left to do
        turn.edit(call.message.message_id, *card(request))


def on_finish(call) -> None:
    turn = current()
    _, request = _job(call)
    if request is None:
        return
    turn.answer()
    turn.start(Report.collect, request=request.id, number=request.number, status=request.status_label,
               text="", photos=[])
    ask_report(turn)


# --- the report ----------------------------------------------------------------------------------

def ask_report(turn) -> None:
    turn.send(executor_voice.report_prompt(turn.data.get("number")), common.describing())


REPROMPTS[Report.collect.name] = ask_report


# The report: a comment and photos gathered until «Готово» (captions join the comment).
REPORT = Collector(Limits(text_max=DESCRIPTION_MAX, photos_max=PHOTOS_MAX), Voice(
    text_kept=executor_voice.REPORT_TEXT_SAVED, photo_kept=executor_voice.REPORT_PHOTO_SAVED,
    no_words=executor_voice.REPORT_NO_WORDS, wrong_type=executor_voice.REPORT_WRONG_TYPE,
    text_cut=executor_voice.REPORT_TEXT_CUT, text_full=executor_voice.REPORT_TEXT_FULL))


def on_report_done(message) -> None:
    turn = current()
    data = turn.data
    text, shots = gathered(data)
    executor = executor_of(turn)
    try:
        request = executor_jobs.job_of(data.get("request", 0), executor, lock=True)
        report = request_service.executor_done(request, executor, text, shots)
    except (JobError, RequestError) as error:
        home(turn, str(error))
        return
    home(turn, executor_voice.report_done(request.number, attached=bool(report)))
    if report is not None and shots:
        request_id, bot = request.id, turn.bot
        turn.later(lambda: photos.download_for_request(bot, request_id))


# --- the handler rows ------------------------------------------------------------------------------

def _executor(*content_types: str, when=None) -> Input:
    """A message of these types from an executor (and `when`, if given)."""
    return content(*content_types, when=is_executor if when is None else lambda m: is_executor(m) and when(m))


def _executor_says(*labels: str) -> Input:
    check = text_is(*labels)
    return content("text", when=lambda m: is_executor(m) and check(m))


def _executor_command(*names: str) -> Input:
    return Input({"commands": list(names), "func": is_executor})


INVITATION = Input({"commands": ["start"], "func": is_invitation})
# Before every other row: an invitation's link is taken from anyone.
INVITATIONS = [Step(ANY_STATE, INVITATION, on_invitation)]
R = Report.collect
# Before the resident's rows (bot.handler_table): an executor never reaches them.
EXECUTOR_STEPS = [
    #    state      expected input                                      handler
    Step(ANY_STATE, _executor_command("start"),                         on_start),
    Step(ANY_STATE, _executor_command("cancel"),                        on_cancel),
    Step(ANY_STATE, _executor_says(common.BTN_CANCEL),                  on_cancel),
    Step(ANY_STATE, _executor_command("help"),                          on_help),
    Step(ANY_STATE, _executor_says(common.BTN_HELP),                    on_help),
    Step(ANY_STATE, _executor_says(executor_voice.BTN_MY_JOBS),         on_jobs),
    Step(ANY_STATE, lasting("take"),                                    on_take),
    Step(ANY_STATE, lasting("finish"),                                  on_finish),
    Step(ANY_STATE, lasting("job"),                                     on_open),
    Step(R,         _executor_says(common.BTN_DONE),                    on_report_done),
    Step(R,         _executor("text"),                                  REPORT.on_text),
    Step(R,         _executor("photo"),                                 REPORT.on_photo),
    Step(R,         _executor("document", when=is_image_document),      REPORT.on_photo),
    Step(R,         _executor(*ANY_CONTENT),                            REPORT.on_other),
    Step(ANY_STATE, _executor(*ANY_CONTENT),                            on_leftover),
    Step(ANY_STATE, Input({"func": is_executor}, button=True),          on_stale_button),
]
