"""«Удалить мои данные»: the bot forgets the resident (app.services.people.forget), after a confirmation.

State table:
    any state       «Удалить мои данные» (in «Настройки», or under a refusal of consent)  -> Forget:confirm
    Forget:confirm  «Да, удалить»                                                   -> none: forgotten; the
                                                                                       welcome of a new person
                    «Нет, оставить»                                                 -> none: main menu
The confirmation's buttons belong to its run of the dialog (a flow), and deleting forgets the
dialog state: a button pressed again on the old message is stale and deletes nothing.
"""
from telebot.states import State, StatesGroup

from app.bot import consent as consent_step
from app.bot.dialog import REPROMPTS, current
from app.bot.menu import home
from app.bot.routing import ANY_STATE, Input, Step, button
from app.services.people import bindings
from app.services.people.forget import forget
from app.telegram import codec, resident


class Forget(StatesGroup):
    confirm = State()


def ask(turn) -> None:
    accounts = ", ".join(pair.client.account for pair in bindings.accounts(turn.user_id)) or "—"
    turn.send(resident.FORGET_ASK.format(accounts=accounts),
              resident.yes_no(turn.data["flow"], (resident.BTN_FORGET_YES, "forget_yes"),
                              (resident.BTN_FORGET_NO, "forget_no")))


REPROMPTS[Forget.confirm.name] = ask
consent_step.PASSING_STATES.add(Forget.confirm.name)


def begin(call) -> None:
    turn = current()
    if not bindings.is_bound(turn.user_id):
        turn.answer(resident.NEEDS_IDENTIFICATION)
        return
    turn.answer()
    turn.start(Forget.confirm)
    ask(turn)


def on_yes(call) -> None:
    turn = current()
    turn.answer()
    turn.remove_buttons(call.message.message_id)
    turn.finish()
    forget(turn.user_id)
    turn.send(resident.FORGOTTEN, resident.identify_only())


def on_no(call) -> None:
    turn = current()
    turn.answer()
    turn.remove_buttons(call.message.message_id)
    if consent_step.needs_consent(turn.user_id):
        turn.finish()
        consent_step.show_notice(turn)
    else:
        home(turn, resident.FORGET_KEPT)


STARTS = [  # at every step (see bot.handler_table)
    Step(ANY_STATE, Input({"func": lambda call: call.data == codec.SETTINGS_FORGET}, button=True), begin),
]
STEPS = [
    Step(Forget.confirm, button("forget_yes"), on_yes),
    Step(Forget.confirm, button("forget_no"),  on_no),
]
