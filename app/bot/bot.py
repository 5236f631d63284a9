"""The TeleBot instance: state storage, filters, and the handlers in the order they are tried.

The first handler whose filters match runs, so handler_table() spells out
the order: group chats ignored, an executor's invitation taken, every row of an
executor's menu (app.bot.executor: an executor never reaches a resident's row), then
for residents the consent to personal data (app.bot.consent: a bound resident whose consent does
not cover the notice in force is asked before anything else happens), the commands and menu buttons at every step, the buttons that begin
each dialog, the dialogs' steps (each module's STEPS, its state table as
handlers), and the leftovers (no dialog waiting; stale inline buttons).
Bot hands each update to routing.Router, which tries only the rows that can
match its dialog state and kind of input, in the same order.

A new dialog: a module with STARTS and STEPS tables (app.bot.routing) and its
prompts in dialog.REPROMPTS, listed in DIALOGS.
"""
from telebot import TeleBot, custom_filters
from telebot.custom_filters import AdvancedCustomFilter

from app.bot import (accounts, consent, executor, forget, identify, menu, meter_readings, my_requests, new_request,
                     request_chat, routing, settings)
from app.bot.storage import DatabaseStateStorage
from app.services.people import bindings, executor_links
from app.services.people import consent as consent_service
from app.telegram import codec

DIALOGS = [identify, new_request, my_requests, request_chat, settings, accounts, forget, meter_readings]


class ButtonFilter(AdvancedCustomFilter):
    """`button="cat"`: an inline button with that action from the user's current dialog run."""

    key = "button"

    def __init__(self, bot: TeleBot):
        self.bot = bot

    def check(self, call, action) -> bool:
        parsed = codec.parse_dialog_button(call.data)
        if parsed is None or parsed[1] != action or call.message is None:
            return False
        data = self.bot.current_states.get_data(call.message.chat.id, call.from_user.id)
        return parsed[0] == data.get("flow")


def handler_table() -> list[routing.Step]:
    """Every handler, in the order telebot tries them."""
    return [
        *menu.IGNORED,
        *executor.INVITATIONS,
        *executor.EXECUTOR_STEPS,
        *consent.GATE,
        *menu.AT_EVERY_STEP,
        *(step for dialog in DIALOGS for step in dialog.STARTS),
        *(step for dialog in DIALOGS for step in dialog.STEPS),
        *menu.FALLBACKS,
    ]


class Bot(TeleBot):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.router = routing.Router(self)

    def process_new_updates(self, updates) -> None:
        """Each update to its first matching row (telebot would test every row in turn)."""
        for update in updates:
            self.router.dispatch(update)


def create_bot(token: str) -> Bot:
    # threaded=False: the dispatcher (app.bot.updates) owns concurrency and per-user order.
    # What the rows' filters ask about a user on every update, read with their dialog state.
    facts = {"executor_id": executor_links.BOUND_EXECUTOR_ID, "bound": bindings.BOUND,
             "consented": consent_service.CONSENTED}
    bot = Bot(token, threaded=False, state_storage=DatabaseStateStorage(facts), parse_mode=None)
    bot.add_custom_filter(custom_filters.StateFilter(bot))
    bot.add_custom_filter(ButtonFilter(bot))
    routing.register(bot, handler_table())
    return bot
