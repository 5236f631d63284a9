"""«Настройки»: whether the resident receives the company's announcements and the reminders to report
meter readings (app.services.meters.reminders), one switch each; the ways to «Мои адреса»,
«Добавить лицевой счёт» (app.bot.accounts) and «Удалить мои данные» (app.bot.forget).

State table (a side step: the dialog in progress, if any, goes on):
    any state   «Настройки» (known user)            -> unchanged: the setting, a button to switch it;
                                                       a dialog in progress is asked for its input again
    any state   «Объявления: получать / не получать» -> unchanged: switched; the message shows the new setting
    any state   «Напоминания о показаниях: …»        -> unchanged: the same for the meter reminders

The switch keeps working on an old settings message (its data names no dialog run):
it only ever changes the setting of the resident who pressed it.
Request notifications are not announcements: they always come.
"""
from app.bot.dialog import current
from app.bot.menu import needs_identification
from app.bot.routing import ANY_STATE, Input, Step, label
from app.services.meters import reminders
from app.services.messaging import announcements
from app.services.people.bindings import is_bound
from app.telegram import codec, resident
from app.telegram import meters as meters_voice

SWITCH_ON, SWITCH_OFF = codec.NOTICES_ON, codec.NOTICES_OFF  # valid on any settings message
REMINDERS = (codec.METER_REMINDERS_ON, codec.METER_REMINDERS_OFF)


def settings_message(user_id: int):
    """Both settings in words, and a button for each to switch it the other way."""
    return resident.settings_message(announcements.wants_announcements(user_id), reminders.wants_reminders(user_id))


def show(message) -> None:
    turn = current()
    if not is_bound(turn.user_id):
        needs_identification(turn)
        return
    turn.send(*settings_message(turn.user_id))
    turn.reprompt()  # in the middle of a dialog: carry on with it


def on_switch(call) -> None:
    turn = current()
    if not is_bound(turn.user_id):
        turn.answer(resident.NEEDS_IDENTIFICATION)
        return
    wanted = call.data == SWITCH_ON
    announcements.set_wants_announcements(turn.user_id, wanted)
    turn.answer(resident.NOTICES_ON_DONE if wanted else resident.NOTICES_OFF_DONE)
    if call.message is not None:
        turn.edit(call.message.message_id, *settings_message(turn.user_id))


def on_reminders_switch(call) -> None:
    turn = current()
    if not is_bound(turn.user_id):
        turn.answer(resident.NEEDS_IDENTIFICATION)
        return
    wanted = call.data == codec.METER_REMINDERS_ON
    reminders.set_wants_reminders(turn.user_id, wanted)
    turn.answer(meters_voice.REMINDERS_ON_DONE if wanted else meters_voice.REMINDERS_OFF_DONE)
    if call.message is not None:
        turn.edit(call.message.message_id, *settings_message(turn.user_id))


SWITCH_BUTTON = Input({"func": lambda call: call.data in (SWITCH_ON, SWITCH_OFF)}, button=True)
REMINDERS_BUTTON = Input({"func": lambda call: call.data in REMINDERS}, button=True)
STARTS = [  # at every step (see bot.handler_table)
    Step(ANY_STATE, label(resident.BTN_SETTINGS), show),
    Step(ANY_STATE, SWITCH_BUTTON,             on_switch),
    Step(ANY_STATE, REMINDERS_BUTTON,          on_reminders_switch),
]
STEPS: list[Step] = []
