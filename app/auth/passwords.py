"""The staff password rule, in one place: the admin user form and the profile page both use it."""
from wtforms import PasswordField
from wtforms.validators import EqualTo, ValidationError

MIN_LENGTH = 8
MAX_LENGTH = 200
MIN_DISTINCT = 4  # "11111111" or "12121212" is long enough but guessed at once
HINT = f"Не короче {MIN_LENGTH} символов, хотя бы {MIN_DISTINCT} разных."


class PasswordRule:
    """WTForms validator of a new password."""

    def __call__(self, form, field):
        password = field.data or ""
        if len(password) < MIN_LENGTH:
            raise ValidationError(f"Пароль — не короче {MIN_LENGTH} символов.")
        if len(password) > MAX_LENGTH:
            raise ValidationError(f"Пароль — не длиннее {MAX_LENGTH} символов.")
        if len(set(password)) < MIN_DISTINCT:
            raise ValidationError(f"Пароль слишком простой: нужно хотя бы {MIN_DISTINCT} разных символа.")


def new_password_field(label: str, *validators) -> PasswordField:
    """A new password: `validators` first (required or optional), then the rule."""
    return PasswordField(label, validators=[*validators, PasswordRule()], description=HINT,
                         render_kw={"autocomplete": "new-password"})


def confirmation_field(label: str, of: str = "password") -> PasswordField:
    return PasswordField(label, validators=[EqualTo(of, message="Пароли не совпадают.")],
                         render_kw={"autocomplete": "new-password"})
