"""telebot's keyboard types for the bot's replies, loaded when the first keyboard is built: the
services import the voice modules (for their texts and Bot API data), and so does the web, and
neither sends through telebot."""


def types():
    from telebot import types as telebot_types
    return telebot_types
