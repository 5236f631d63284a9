"""Inline buttons' callback data: the one codec, and the lifetime each button has.

- A dialog button, `<flow>:<action>[:<arg>]`, is valid in one run of a dialog: `flow` (hex, new
  for every run, app.bot.dialog) names the run, so a button left on an old message is recognised
  as stale instead of acting on the current dialog (app.bot.bot.ButtonFilter compares the flow).
- A lasting button, `rq:<action>:<id>[:<arg>]`, keeps working on old messages (request lists and
  cards, «Ответить», «Да / Нет», ratings, an executor's job): the id is a request id (a page number
  for «list»), and the handler checks it against the database on every press.
- A setting switch (NOTICES_ON / NOTICES_OFF, METER_REMINDERS_ON / _OFF) is fixed data, valid on any
  message: it only ever changes the setting of the one who pressed it. Its "flow" (`notices`,
  `meterrem`) is never a run's hex flow. So are the other buttons of «Настройки» (SETTINGS_*: they
  open a list or a dialog of the presser's).
- A consent answer, `consent:<yes|no>:<version id>`, names the notice's version it answers: a press
  under an outdated text is refused (app.bot.consent).
- An account button, `ac:<action>:<client id>` («Отвязать» under «Мои адреса»), acts only on the
  presser's own pairs and is checked against the database on every press.

Residents keep old messages with these buttons: the formats never change.
"""
from app.models.base import MAX_ID
from app.telegram.limits import CALLBACK_DATA_MAX_BYTES

LASTING_PREFIX = "rq"


def _join(*parts: object, arg: object = "") -> str:
    data = ":".join(str(part) for part in parts) + (f":{arg}" if arg != "" else "")
    assert len(data.encode()) <= CALLBACK_DATA_MAX_BYTES, "Telegram limits callback data to 64 bytes"
    return data


def parse_id(text: str) -> int | None:
    """An id as a button carries it: ASCII digits within MAX_ID (a bigger number would overflow the
    database's integer), or None."""
    if text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= MAX_ID:
        return int(text)
    return None


# --- dialog buttons: one run of a dialog ---------------------------------------------------

def dialog_button(flow: str, action: str, arg: object = "") -> str:
    return _join(flow, action, arg=arg)


def parse_dialog_button(data: str | None) -> tuple[str, str, str] | None:
    """(flow, action, arg) of a dialog button, or None for data we never produced."""
    parts = (data or "").split(":")
    if len(parts) not in (2, 3) or not all(parts[:2]):
        return None
    flow, action = parts[0], parts[1]
    return flow, action, parts[2] if len(parts) == 3 else ""


# --- lasting buttons: valid for days, checked against the database -------------------------

def lasting_button(action: str, number: int, arg: object = "") -> str:
    """`rq:<action>:<number>[:<arg>]`: the number is a request id (a page number for «list»)."""
    return _join(LASTING_PREFIX, action, number, arg=arg)


def parse_lasting_button(data: str | None) -> tuple[str, int, str] | None:
    """(action, number, arg) of one of our lasting buttons, or None."""
    parts = (data or "").split(":")
    if len(parts) not in (3, 4) or parts[0] != LASTING_PREFIX or not parts[1]:
        return None
    number = parse_id(parts[2])
    if number is None:
        return None
    return parts[1], number, parts[3] if len(parts) == 4 else ""


# --- setting switches: fixed data -----------------------------------------------------------

NOTICES_ON, NOTICES_OFF = _join("notices", "on"), _join("notices", "off")
METER_REMINDERS_ON, METER_REMINDERS_OFF = _join("meterrem", "on"), _join("meterrem", "off")


SETTINGS_ADDRESSES, SETTINGS_ADD_ACCOUNT, SETTINGS_FORGET = (
    _join("settings", "addresses"), _join("settings", "add"), _join("settings", "forget"))


# --- consent answers and account buttons ----------------------------------------------------

CONSENT_PREFIX, ACCOUNT_PREFIX = "consent", "ac"


def consent_version_id(version) -> int:
    """The id a consent answer names (app.models.ConsentVersion): 0 for the default notice, which is
    stored only when someone first answers it (app.services.people.consent.answered)."""
    return version.id or 0


def consent_button(agreed: bool, version) -> str:
    return _join(CONSENT_PREFIX, "yes" if agreed else "no", consent_version_id(version))


def parse_consent_button(data: str | None) -> tuple[bool, int] | None:
    """(agreed, version id) of a consent answer, or None."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != CONSENT_PREFIX or parts[1] not in ("yes", "no"):
        return None
    version = parse_id(parts[2])
    return None if version is None else (parts[1] == "yes", version)


def account_button(action: str, client_id: int) -> str:
    return _join(ACCOUNT_PREFIX, action, client_id)


def parse_account_button(data: str | None) -> tuple[str, int] | None:
    """(action, client id) of an account button, or None."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != ACCOUNT_PREFIX or not parts[1]:
        return None
    client_id = parse_id(parts[2])
    return None if client_id is None else (parts[1], client_id)
