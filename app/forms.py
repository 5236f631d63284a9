"""What every form of the web app shares: Russian messages and the small field rules."""
from flask_wtf import FlaskForm
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
