"""Lengths of time in whole minutes, as staff type and read them: norms, lateness, time to done."""

# The units a norm is typed in: value, the form's word, minutes in one.
UNITS = [("min", "минут", 1), ("hour", "часов", 60), ("day", "дней", 1440)]
MINUTES = {unit: minutes for unit, _, minutes in UNITS}
MAX_MINUTES = 365 * 1440  # a norm longer than a year is a typing mistake


def split(minutes: int | None) -> tuple[int | None, str]:
    """A norm as the form shows it: in the largest unit that holds it whole (90 -> 90 minutes)."""
    if minutes is None:
        return None, "hour"
    for unit, _, size in reversed(UNITS):
        if minutes % size == 0:
            return minutes // size, unit
    return minutes, "min"


def text(minutes: int | None) -> str:
    """«45 мин», «5 ч 40 мин», «3 д 4 ч» (a day or longer is told to the hour, rounded down)."""
    if minutes is None:
        return ""
    minutes = max(0, int(minutes))
    if minutes < 60:
        return f"{minutes} мин"
    if minutes < 1440:
        hours, rest = divmod(minutes, 60)
        return f"{hours} ч" + (f" {rest} мин" if rest else "")
    days, rest = divmod(minutes, 1440)
    return f"{days} д" + (f" {rest // 60} ч" if rest >= 60 else "")
