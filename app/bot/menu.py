"""Commands that work at every step, the main menu, «Мои заявки», and what is left over.

State table (handlers registered before the dialogs' own, so they win at every step):
    any state    /start                 -> none: main menu (known user) or «Идентификация»
    any state    /cancel, «Отмена»      -> none: «Действие отменено», same menus
    any state    /help, «Помощь»        -> unchanged: help, then the current step asked again
    any state    «Мои заявки»           -> unchanged: the user's requests as buttons (my_requests)
    none         anything else          -> none: main menu hint, or the identification welcome
    any state    a stale inline button  -> unchanged: «кнопка устарела», the current step asked again
"""
from app.bot import my_requests
from app.bot.dialog import REPROMPTS, current
from app.bot.routing import ANY_BUTTON, ANY_CONTENT, ANY_STATE, ANYTHING, Step, command, content, label
from app.services.people.bindings import is_bound
from app.services.people.executor_links import was_executor
from app.telegram import common, resident
from app.telegram import executor as executor_voice


def home(turn, text: str | None = None, durable: bool = False) -> None:
    """End any dialog: the main menu for a known user, the identification welcome otherwise."""
    turn.finish()
    if is_bound(turn.user_id):
        turn.send(text or resident.MAIN_MENU, resident.main_menu(), durable=durable)
    else:
        turn.send(text or welcome(turn), resident.identify_only(), durable=durable)


def welcome(turn) -> str:
    """The greeting of a user bound to no account. An executor switched off or revoked is told that
    (app.bot.executor serves only bound executors), not greeted as a newcomer."""
    return executor_voice.EXECUTOR_OFF if was_executor(turn.user_id) else resident.WELCOME_UNKNOWN


def needs_identification(turn) -> None:
    """A known-users-only action from an unknown user: keep an identification in progress."""
    if (turn.state or "").startswith("Ident:"):
        turn.send(resident.NEEDS_IDENTIFICATION)
        turn.reprompt()
    else:
        home(turn, resident.NEEDS_IDENTIFICATION)


def on_start(message) -> None:
    home(current())


def on_cancel(message) -> None:
    turn = current()
    known = is_bound(turn.user_id)
    home(turn, common.CANCELLED + " " + (resident.MAIN_MENU if known else welcome(turn)))


def on_help(message) -> None:
    turn = current()
    known = is_bound(turn.user_id)
    help_text = resident.HELP if known else resident.HELP_UNKNOWN
    if turn.state:
        turn.send(help_text)
        turn.reprompt()
    else:
        turn.send(help_text, resident.main_menu() if known else resident.identify_only())


def on_my_requests(message) -> None:
    turn = current()
    if not is_bound(turn.user_id):
        needs_identification(turn)
        return
    my_requests.send_list(turn)


def on_leftover(message) -> None:
    """No dialog is waiting for input: point at the menu."""
    turn = current()
    if is_bound(turn.user_id):
        turn.send(resident.UNKNOWN_INPUT_MENU, resident.main_menu())
    else:
        turn.send(welcome(turn), resident.identify_only())


def on_stale_button(call) -> None:
    """An inline button of a finished dialog run, another step, or one we never made."""
    turn = current()
    turn.answer(common.STALE_BUTTON)
    if call.message is not None:
        turn.remove_buttons(call.message.message_id)
    if turn.state in REPROMPTS:
        turn.send(resident.STALE_BUTTON_HINT)
        turn.reprompt()
    else:
        home(turn, resident.STALE_BUTTON_IDLE)


def ignore(update) -> None:
    """Groups and channels: the bot serves residents in private chats only."""


def in_group(message) -> bool:
    return message.chat.type != "private"


# Tried before everything: the bot serves private chats only.
IGNORED = [Step(ANY_STATE, content(*ANY_CONTENT, when=in_group), ignore)]
# Tried first in a resident's update: a command or a main-menu button always does what it says.
AT_EVERY_STEP = [
    #    state      expected input                         handler
    Step(ANY_STATE, command("start"),                     on_start),
    Step(ANY_STATE, command("cancel"),                    on_cancel),
    Step(ANY_STATE, label(common.BTN_CANCEL),             on_cancel),
    Step(ANY_STATE, command("help"),                      on_help),
    Step(ANY_STATE, label(common.BTN_HELP),               on_help),
    Step(ANY_STATE, label(resident.BTN_MY_REQUESTS),      on_my_requests),
]
# Tried last: what no dialog step took.
FALLBACKS = [
    Step(ANY_STATE, ANYTHING,                             on_leftover),  # no dialog is waiting for input
    Step(ANY_STATE, ANY_BUTTON,                           on_stale_button),
]
