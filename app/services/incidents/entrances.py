"""The entrances of a house an incident notes («1–3, 5»): residents' data has no entrance, so matching
stays by house; the note is shown on the incident's pages and told to the residents of that house
(app.models.incidents.entrances_label words it).

The one rule: numbers (1–99) and ranges, separated by commas; kept written as «1–3, 5».
"""
import re

from app.services.incidents.moves import IncidentError

MAX = 40  # characters of the form's field
PART = re.compile(r"^(\d{1,2})(?:\s*[-–—]\s*(\d{1,2}))?$")


def normalize(text: str | None) -> str:
    """«1-3,5» -> «1–3, 5»; "" when none are noted; IncidentError when it is not a list of entrances."""
    text = (text or "").strip()
    if not text:
        return ""
    if len(text) > MAX:
        raise IncidentError(f"Подъезды: не больше {MAX} символов.")
    out = []
    for part in text.split(","):
        match = PART.match(part.strip())
        if match is None:
            raise IncidentError(f"Подъезды «{text}»: укажите номера через запятую и диапазоны через дефис, "
                                "например «1–3, 5».")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if first < 1 or last < first:
            raise IncidentError(f"Подъезды «{text}»: номера начинаются с 1, диапазон — от меньшего к большему.")
        out.append(str(first) if first == last else f"{first}–{last}")
    return ", ".join(out)

