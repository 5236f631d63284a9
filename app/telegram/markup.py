"""telebot's keyboard types for the bot's replies, loaded when the first keyboard is built: the
services import the voice modules (for their texts and Bot API data), and so does the web, and
neither sends through telebot."""


def types():
    from telebot import types as telebot_types
    return telebot_types


def reply_keyboard(*rows, persistent: bool = False):
    """A reply keyboard of these rows (each a sequence of labels or KeyboardButtons), fitted to its
    buttons; `persistent`: a menu that stays shown."""
    kb = types().ReplyKeyboardMarkup(resize_keyboard=True, **({"is_persistent": True} if persistent else {}))
    for row in rows:
        kb.row(*row)
    return kb
