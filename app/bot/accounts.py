"""«Мои адреса»: the accounts (flats) a resident holds, «Отвязать» under each, «Добавить лицевой счёт».

State table (a side step: the dialog in progress, if any, goes on):
    any state   «Мои адреса» (known user), or its button in «Настройки»  -> unchanged: the list
    any state   «Отвязать № …» (an account button)                       -> the user's pairs on that
                                                                            account released; the list
                                                                            redrawn (or the welcome when
                                                                            none is left)
    any state   «Добавить лицевой счёт» in «Настройки» / under the list  -> identification (app.bot.identify)
«Отвязать» acts only on the presser's own pairs: on an old list it answers that the account is no
longer theirs and changes nothing.
"""
from app.bot import identify
from app.bot.dialog import current
from app.bot.menu import home, needs_identification
from app.bot.routing import ANY_STATE, Input, Step, label
from app.services.people import bindings
from app.services.people.phones import display_phone
from app.telegram import codec, resident


def listing(user_id: int):
    held = bindings.accounts(user_id)
    return resident.addresses_message([(pair.client_id, pair.client.account, pair.client.address,
                                        display_phone(pair.phone)) for pair in held]) if held else None


def show(message) -> None:
    turn = current()
    shown = listing(turn.user_id)
    if shown is None:
        needs_identification(turn)
        return
    turn.send(*shown)
    turn.reprompt()


def on_show_button(call) -> None:
    turn = current()
    shown = listing(turn.user_id)
    if shown is None:
        turn.answer(resident.NEEDS_IDENTIFICATION)
        return
    turn.answer()
    turn.send(*shown)


def on_add_button(call) -> None:
    turn = current()
    turn.answer()
    identify.start(turn)


def on_unbind(call) -> None:
    turn = current()
    _, client_id = codec.parse_account_button(call.data)
    pair = bindings.binding_for(turn.user_id, client_id)
    if pair is None:
        turn.answer(resident.UNBIND_GONE)
        return
    account = pair.client.account
    bindings.unbind(turn.user_id, client_id)
    turn.answer(resident.UNBOUND.format(account=account))
    shown = listing(turn.user_id)
    if shown is None:
        if call.message is not None:
            turn.remove_buttons(call.message.message_id)
        home(turn, resident.UNBOUND.format(account=account) + "\n\n" + resident.WELCOME_UNKNOWN)
    elif call.message is not None:
        turn.edit(call.message.message_id, *shown)
    else:
        turn.send(*shown)


def _is(data: str):
    return Input({"func": lambda call: call.data == data}, button=True)


UNBIND = Input({"func": lambda call: (codec.parse_account_button(call.data) or ("",))[0] == "unbind"}, button=True)
STARTS = [  # at every step (see bot.handler_table)
    Step(ANY_STATE, label(resident.BTN_MY_ADDRESSES),      show),
    Step(ANY_STATE, _is(codec.SETTINGS_ADDRESSES),         on_show_button),
    Step(ANY_STATE, _is(codec.SETTINGS_ADD_ACCOUNT),       on_add_button),
    Step(ANY_STATE, UNBIND,                                on_unbind),
]
STEPS: list[Step] = []
