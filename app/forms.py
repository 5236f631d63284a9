"""What every form of the web app shares: Russian messages and the small field rules."""
from flask import current_app
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.meta import DefaultMeta
from wtforms.validators import DataRequired, ValidationError


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


def within_upload_limit(form, field):
    """A validator: a file no bigger than MAX_UPLOAD_BYTES. The form comes back with what was typed;
    requests up to MAX_REQUEST_BYTES are read so that a too-big file gets here instead of a bare 413."""
    upload, limit = field.data, current_app.config["MAX_UPLOAD_BYTES"]
    if upload is None or not hasattr(upload, "stream"):
        return
    size = upload.stream.seek(0, 2)
    upload.stream.seek(0)
    if size > limit:
        raise ValidationError(f"Файл больше {megabytes(limit)} МБ (в этом {megabytes(size, 1)} МБ): выберите файл "
                              "поменьше или разделите его на части.")


def megabytes(size: int, digits: int = 2) -> str:
    """Bytes as megabytes the Russian way: 20 for 20 MB, 1,5 for 1.5 MB."""
    mb = round(size / 2**20, digits)
    return str(int(mb)) if mb == int(mb) else f"{mb:.{digits}f}".rstrip("0").replace(".", ",")
