"""A meter value as people type it, and as it is shown: one place for the digits rule.

Values are thousandths of a unit (app.models.meters.SCALE). A resident types a comma or a point;
a meter shows `int_digits` before the point and `frac_digits` after it."""
import re

from app.models.meters import SCALE

NUMBER = re.compile(r"(\d+)(?:[.,](\d*))?|[.,](\d+)")
TYPED_MAX = 24  # characters: anything longer is no meter's reading


class InvalidValue(ValueError):
    """The value cannot be a reading of this meter; the message (Russian) says why and what to type."""


def parse(raw, int_digits: int, frac_digits: int) -> int:
    """The typed value in thousandths, or InvalidValue."""
    text = "".join(str(raw if raw is not None else "").split())
    if not text:
        raise InvalidValue("Введите показание цифрами, например 123,45.")
    if text[0] in "-−–":
        raise InvalidValue("Показание не может быть отрицательным. Введите число со счётчика, например 123,45.")
    if len(text) > TYPED_MAX:
        raise InvalidValue(f"Слишком много цифр: у этого счётчика {int_digits} цифр до запятой. "
                           "Проверьте и введите ещё раз.")
    match = NUMBER.fullmatch(text) if text.isascii() else None
    if match is None:
        raise InvalidValue("Это не число. Введите показание цифрами (запятая или точка перед дробной частью), "
                           "например 123,45.")
    whole = match.group(1) or "0"
    fraction = (match.group(2) if match.group(1) else match.group(3)) or ""
    if len(whole.lstrip("0")) > int_digits:
        raise InvalidValue(f"Слишком много цифр: у этого счётчика {int_digits} цифр до запятой. "
                           "Проверьте и введите ещё раз.")
    fraction = fraction.rstrip("0")
    if len(fraction) > frac_digits:
        if frac_digits == 0:
            raise InvalidValue("У этого счётчика нет цифр после запятой: введите целое число.")
        raise InvalidValue(f"После запятой у этого счётчика не больше {frac_digits} цифр. Введите ещё раз.")
    return int(whole) * SCALE + int(fraction.ljust(3, "0")[:3] or 0)


def show(value: int | None, frac_digits: int = 3) -> str:
    """«123,450» (as many decimals as the meter has), «—» for none."""
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    whole, fraction = divmod(abs(value), SCALE)
    text = f"{whole:,}".replace(",", " ")
    if frac_digits:
        text += "," + f"{fraction:03d}"[:frac_digits]
    return sign + text


def units(value: int | None) -> float | None:
    """The value as a number of units (for a spreadsheet cell)."""
    return None if value is None else value / SCALE
