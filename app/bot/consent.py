"""Consent to personal data (152-ФЗ) before the bot keeps anything about a resident.

State table (rows tried before every resident row, see bot.handler_table):
    any state   anything from a bound user whose last word is not «Согласен»   -> unchanged: the notice
                to the version in force (app.services.people.consent): nothing
                else happens until they answer
    any state   «Согласен» under the version in force                          -> recorded; a bound user
                                                                                  goes on where they were,
                                                                                  a new one to identification
    any state   «Не согласен» under it                                          -> the dispatchers' phone
                                                                                  (a bound user's refusal is
                                                                                  recorded, and «Удалить мои
                                                                                  данные» offered)
    any state   an answer under an older version (or forged)                   -> nothing recorded; the
                                                                                  notice in force again
A user bound to no account meets the notice when they ask to identify (app.bot.identify.begin):
nothing personal is stored before «Согласен».
"""
from app.bot.dialog import REPROMPTS, current
from app.bot.routing import ANY_CONTENT, ANY_STATE, Input, Step, content
from app.services import company
from app.services.people import bindings, consent
from app.services.people.phones import display_phone
from app.telegram import codec, resident

# Presses a resident without consent may still make: the answer itself and deleting their data.
PASSING = {codec.SETTINGS_FORGET}
PASSING_STATES: set[str] = set()  # dialogs they may finish (app.bot.forget registers its confirmation)


def needs_consent(user_id: int) -> bool:
    """A bound user whose consent does not cover the notice in force (none yet, refused, or an older one)."""
    return bindings.is_bound(user_id) and not consent.has_consented(user_id)


def show_notice(turn, prefix: str = "") -> None:
    version = consent.current_version()
    changed = not prefix and consent.latest_answer(turn.user_id) is not None
    turn.send(*resident.consent_message(version, changed=changed, prefix=prefix))


def _blocked(event) -> bool:
    """needs_consent for the gate's filters, which run before any handler: from the facts read with the
    dialog state (app.bot.storage), no query of its own."""
    facts = current().bot.current_states
    user_id = event.from_user.id
    return bool(facts.fact(user_id, "bound")) and not facts.fact(user_id, "consented")


def _blocked_message(message) -> bool:
    return message.chat.type == "private" and _blocked(message)


def _blocked_press(call) -> bool:
    if codec.parse_consent_button(call.data) is not None or call.data in PASSING:
        return False
    if current().state in PASSING_STATES:
        return False
    return _blocked(call)


def on_blocked_message(message) -> None:
    show_notice(current())


def on_blocked_press(call) -> None:
    turn = current()
    turn.answer(resident.CONSENT_FIRST)
    show_notice(turn)


def on_answer(call) -> None:
    turn = current()
    agreed, version_id = codec.parse_consent_button(call.data)
    version = consent.answered(version_id)
    if version is None:  # an older text, or data we never sent
        turn.answer(resident.CONSENT_OUTDATED)
        show_notice(turn, prefix=resident.CONSENT_OUTDATED)
        return
    bound = bindings.is_bound(turn.user_id)
    if not agreed:  # the notice keeps its buttons: «Согласен» under it still works if they change their mind
        turn.answer()
        if bound:  # they agreed before: this is a withdrawal in all but name
            consent.record(turn.user_id, version, consent.REFUSED)
        phone = company.get("company_phone")
        refusal = resident.consent_refused(display_phone(phone) if phone else "")
        turn.send(refusal, resident.forget_offer() if bound else resident.identify_only())
        return
    if consent.has_consented(turn.user_id):  # a second press of the same button
        turn.answer(resident.CONSENT_AGREED)
        return
    consent.record(turn.user_id, version, consent.AGREED)
    turn.answer(resident.CONSENT_AGREED)
    if call.message is not None:
        turn.remove_buttons(call.message.message_id)
    if not bound:  # on to identification (the toast says the consent is kept)
        from app.bot import identify  # identify asks for consent first: imported when needed
        identify.start(turn)
    elif turn.state in REPROMPTS:  # where they were when asked
        turn.send(resident.CONSENT_AGREED)
        turn.reprompt()
    else:
        turn.send(resident.CONSENT_AGREED + " " + resident.MAIN_MENU, resident.main_menu())


ANSWER = Input({"func": lambda call: codec.parse_consent_button(call.data) is not None}, button=True)
GATE = [  # before every resident row
    Step(ANY_STATE, ANSWER,                                            on_answer),
    Step(ANY_STATE, content(*ANY_CONTENT, when=_blocked_message),      on_blocked_message),
    Step(ANY_STATE, Input({"func": _blocked_press}, button=True),      on_blocked_press),
]
