"""The «Отключение» template: what is switched off, where and when, written as a notice to residents."""
from datetime import datetime

KINDS = [("planned", "Плановое"), ("emergency", "Аварийное")]
# key, what staff choose, what is switched off (genitive: «отключение холодной воды»)
RESOURCES = [
    ("cold_water", "Холодная вода", "холодной воды"),
    ("hot_water", "Горячая вода", "горячей воды"),
    ("heating", "Отопление", "отопления"),
    ("electricity", "Электроэнергия", "электроэнергии"),
    ("gas", "Газ", "газа"),
    ("lift", "Лифт", "лифта"),
]
MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
          "октября", "ноября", "декабря"]
CLOSING = "Приносим извинения за неудобства."


def notice_text(kind: str, resource: str, addresses: str, starts: datetime, ends: datetime | None,
                note: str = "", this_year: int | None = None) -> str:
    """⚠️ Плановое отключение горячей воды
    Адрес: г. Самара, ул. Садовая, д. 17, 19А
    Когда: 12 марта с 09:00 до 18:00
    <note>
    Приносим извинения за неудобства."""
    title = f"{dict(KINDS)[kind]} отключение {next(r[2] for r in RESOURCES if r[0] == resource)}"
    lines = [f"⚠️ {title}", f"Адрес: {addresses}", f"Когда: {period(starts, ends, this_year)}"]
    if note.strip():
        lines.append(note.strip())
    lines.append(CLOSING)
    return "\n".join(lines)


def period(starts: datetime, ends: datetime | None, this_year: int | None = None) -> str:
    """«12 марта с 09:00 до 18:00», «с 12 марта, 09:00, до 13 марта, 18:00», «с 12 марта, 09:00,
    до окончания работ»; the year only when it is not this one."""
    def day(moment: datetime) -> str:
        text = f"{moment.day} {MONTHS[moment.month - 1]}"
        return text if moment.year == (this_year or moment.year) else f"{text} {moment.year} г."

    if ends is None:
        return f"с {day(starts)}, {starts:%H:%M}, до окончания работ"
    if ends.date() == starts.date():
        return f"{day(starts)} с {starts:%H:%M} до {ends:%H:%M}"
    return f"с {day(starts)}, {starts:%H:%M}, до {day(ends)}, {ends:%H:%M}"
