"""What every form of the web app shares: Russian messages and the small field rules."""
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.meta import DefaultMeta
from wtforms.validators import DataRequired


class Form(FlaskForm):
    """WTForms' own Russian catalogue for its built-in messages (no Babel needed)."""

    class Meta:
        locales = ("ru",)

        def get_translations(self, form):
            return DefaultMeta.get_translations(self, form)


def squeeze_spaces(value):
    """A filter: spaces at the ends dropped, runs of spaces inside made one."""
    return " ".join(value.split()) if isinstance(value, str) else value


def required(what: str) -> DataRequired:
    return DataRequired(f"Укажите {what}.")


def unix_line_breaks(value):
    """A filter: line breaks as \\n. Browsers post a textarea's line breaks as \\r\\n, while the pages'
    counters, Telegram and the residents count one character: checked, stored and sent as \\n."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


class TextArea(TextAreaField):
    """Every textarea staff type into: its line breaks arrive as \\n (unix_line_breaks) before any check."""

    def __init__(self, label=None, validators=None, filters=(), **kwargs):
        super().__init__(label, validators, filters=(unix_line_breaks, *filters), **kwargs)
