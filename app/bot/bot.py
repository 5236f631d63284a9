"""The TeleBot instance: state storage, filters, and the handlers in the order they are tried.

Order matters (telebot runs the first handler whose filters match):
commands and menu buttons that work at every step, then each dialog's state
handlers, then the leftovers (no dialog waiting; stale inline buttons).
"""
from telebot import TeleBot, custom_filters
from telebot.custom_filters import AdvancedCustomFilter

from app.bot import identify, keyboards, menu, new_request
from app.bot.storage import DatabaseStateStorage


class ButtonFilter(AdvancedCustomFilter):
    """`button="cat"`: an inline button with that action from the user's current dialog run."""

    key = "button"

    def __init__(self, bot: TeleBot):
        self.bot = bot

    def check(self, call, action) -> bool:
        parsed = keyboards.parse_button(call.data)
        if parsed is None or parsed[1] != action or call.message is None:
            return False
        data = self.bot.current_states.get_data(call.message.chat.id, call.from_user.id)
        return parsed[0] == data.get("flow")


def create_bot(token: str) -> TeleBot:
    # threaded=False: the dispatcher (app.bot.updates) owns concurrency and per-user order.
    bot = TeleBot(token, threaded=False, state_storage=DatabaseStateStorage(), parse_mode=None)
    bot.add_custom_filter(custom_filters.StateFilter(bot))
    bot.add_custom_filter(ButtonFilter(bot))
    menu.register_commands(bot)
    identify.register(bot)
    new_request.register(bot)
    menu.register_fallbacks(bot)
    return bot
