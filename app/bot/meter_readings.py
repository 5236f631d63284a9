"""«Передать показания»: a resident reports their meters, each value checked as it is typed.

State table:
    state            expected input                               -> next state
    any (known user) «Передать показания»                         -> Meters:account (several accounts),
                                                                     or as for an account chosen:
                                                                     window closed: none (when it opens, the
                                                                     last readings); no meters: none;
                                                                     else Meters:meter (the list)
    Meters:account   an address button                            -> as above
    Meters:meter     a meter button                               -> :value (rate 1)
    Meters:value     text: not a number, too many digits, a       -> unchanged (said why)
                     negative, decimals it has not
                     below the previous reading                   -> :below («Счётчик заменили?»)
                     consumption unusual (3× average, or the cap) -> :unusual («всё верно?»)
                     fine                                          -> :value (next rate) or :photo
    Meters:below     «Да, заменили» (a word to the dispatcher)    -> none
                     «Нет, введу заново»                          -> :value
    Meters:unusual   «Да, всё верно» / «Исправить»                -> as fine (marked) / :value
    Meters:photo     a photo, an image file / «Без фото»          -> :confirm (summary)
                     anything else                                -> unchanged (said what is taken)
    Meters:confirm   «Отправить»                                  -> :meter (stored; the list again)
    any of them      inline «Отменить», «Отмена», /cancel         -> none

Everything is checked again when the reading is stored (app.services.meters.readings.submit_from_bot):
the meter still one of the resident's and in use, the window still open. A reading given again in
the same month is a correction: the month keeps the last one, the history both.
"""
import logging

from sqlalchemy import select
from telebot.states import State, StatesGroup

from app.bot import photos
from app.bot.dialog import REPROMPTS, current
from app.bot.incoming import is_image_document, photo_of
from app.bot.menu import home, needs_identification
from app.bot.routing import ANY_STATE, ANYTHING, TEXT, Step, button, content, label
from app.bot.sender import PERMANENT, classify, describe
from app.extensions import db
from app.models import Client
from app.models.meters import COUNTED, SUSPICIOUS, Meter, MeterReading
from app.services import company
from app.services.meters import readings, window
from app.services.meters.values import InvalidValue, parse
from app.services.people import bindings
from app.services.people.phones import display_phone
from app.services.storage import save
from app.telegram import common, resident
from app.telegram import meters as voice
from app.telegram.limits import DOWNLOAD_MAX_BYTES


log = logging.getLogger(__name__)


class Meters(StatesGroup):
    account = State()
    meter = State()
    value = State()
    below = State()
    unusual = State()
    photo = State()
    confirm = State()


ALL_STATES = Meters.state_list()


# --- the account: with several, the address first ---

def choose_account(turn, accounts) -> None:
    """Ask which of the resident's accounts (addresses) this is about: one button per account."""
    turn.goto(Meters.account)
    turn.send(voice.CHOOSE_ACCOUNT, voice.accounts(turn.data["flow"],
                                                   [(c.id, c.address or f"ЛС {c.account}") for c in accounts]))


def begin(message) -> None:
    turn = current()
    if not bindings.is_bound(turn.user_id):
        needs_identification(turn)
        return
    accounts = readings.accounts_of(turn.user_id)
    turn.start(Meters.account)
    if len(accounts) > 1:
        choose_account(turn, accounts)
    else:
        open_account(turn, accounts[0])


def on_account(call) -> None:
    turn = current()
    turn.answer()
    arg = call.data.rsplit(":", 1)[-1]
    chosen = next((c for c in readings.accounts_of(turn.user_id) if str(c.id) == arg), None)
    turn.remove_buttons(call.message.message_id)
    if chosen is None:
        turn.send(voice.ACCOUNT_GONE)
        begin_again(turn)
        return
    open_account(turn, chosen)


def _meters(client_id: int) -> list[Meter]:
    return db.session.execute(Meter.of_client(client_id, active_only=True)).scalars().all()


def _last(meter: Meter):
    """(values, date) of the meter's latest counted reading, or its initial one."""
    base = readings.latest(meter)
    return base.previous, base.previous_date


def open_account(turn, client) -> None:
    """The account's meters: the list to choose from, or, outside the window, when it opens."""
    turn.update(client=client.id)
    meters = _meters(client.id)
    address = client.address or f"ЛС {client.account}"
    if not meters:
        phone = company.get("company_phone")
        home(turn, voice.NO_METERS.format(address=address, phone=f" по телефону {display_phone(phone)}" if phone else ""))
        return
    today, w = window.today(), window.current()
    if not w.is_open(today):
        lines = "\n".join(voice.meter_line(m, *_last(m), reported=False) for m in meters)
        home(turn, voice.WINDOW_CLOSED.format(first=w.first, last=w.last, opens=voice.day(w.next_opening(today)))
             + voice.LAST_READINGS.format(address=address, lines=lines))
        return
    show_list(turn, client.id, meters)


def show_list(turn, client_id: int, meters=None) -> None:
    meters = meters if meters is not None else _meters(client_id)
    today, w = window.today(), window.current()
    period = window.period_of(today)
    reported = _reported(meters, period)
    client = db.session.get(Client, client_id)
    lines = "\n".join(voice.meter_line(m, *_last(m), reported=m.id in reported) for m in meters)
    turn.goto(Meters.meter)
    buttons = [(m.id, voice.meter_title(m) + (" ✓" if m.id in reported else "")) for m in meters]
    turn.send(voice.METER_LIST.format(address=client.address or f"ЛС {client.account}", lines=lines,
                                      closes=voice.day(w.closes(today))),
              voice.meter_buttons(turn.data["flow"], buttons))


def _reported(meters, period) -> set[int]:
    ids = [m.id for m in meters]
    return set(db.session.execute(select(MeterReading.meter_id).where(
        MeterReading.meter_id.in_(ids), MeterReading.period == period, MeterReading.live,
        MeterReading.status.in_(COUNTED))).scalars()) if ids else set()


# --- the values ---

def _window_closed(turn) -> bool:
    today, w = window.today(), window.current()
    if w.is_open(today):
        return False
    home(turn, voice.CLOSED_NOW.format(opens=voice.day(w.next_opening(today))))
    return True


def _current_meter(turn) -> Meter | None:
    """The dialog's meter, checked again (still the resident's and in use), or None (told why)."""
    try:
        return readings.resident_meter(turn.user_id, turn.data.get("meter"))
    except readings.ReadingRefused as exc:
        home(turn, voice.REFUSED.format(reason=exc))
        return None


def on_meter(call) -> None:
    turn = current()
    turn.answer()
    try:
        meter = readings.resident_meter(turn.user_id, call.data.rsplit(":", 1)[-1])
    except readings.ReadingRefused as exc:
        turn.send(str(exc))
        show_list(turn, turn.data.get("client"))
        return
    if _window_closed(turn):
        return
    turn.remove_buttons(call.message.message_id)
    turn.goto(Meters.value, meter=meter.id, rate=0, values=[], unusual=False, photo="", pending=None)
    live = readings.live_reading(meter.id, window.period_of(window.today()))
    if live is not None and live.status in COUNTED:
        turn.send(voice.CORRECTING.format(values=voice.values_text(meter, live.values)))
    ask_value(turn, meter)


def ask_value(turn, meter: Meter | None = None) -> None:
    meter = meter or _current_meter(turn)
    if meter is None:
        return
    rate = turn.data.get("rate", 0)
    base = readings.baseline(meter, window.period_of(window.today()))
    turn.send(voice.ask_value(meter, rate, base.previous[rate], base.previous_date), voice.typing())


def on_value(message) -> None:
    turn = current()
    meter = _current_meter(turn)
    if meter is None:
        return
    try:
        value = parse(message.text, meter.int_digits, meter.frac_digits)
    except InvalidValue as exc:
        turn.send(str(exc))
        return
    rate = turn.data.get("rate", 0)
    base = readings.baseline(meter, window.period_of(window.today()))
    if base.below(rate, value):
        turn.goto(Meters.below, pending=value)
        turn.send(voice.BELOW.format(value=voice.number(value, meter.frac_digits),
                                     previous=voice.number(base.previous[rate], meter.frac_digits)),
                  voice.swapped_or_retype(turn.data["flow"]))
    elif base.unusual(rate, value):
        turn.goto(Meters.unusual, pending=value)
        turn.send(voice.UNUSUAL.format(used=voice.number(base.consumption(rate, value), meter.frac_digits),
                                       unit=meter.kind.unit), voice.right_or_fix(turn.data["flow"]))
    else:
        take_value(turn, meter, value, unusual=False)


def on_value_other(message) -> None:
    turn = current()
    meter = _current_meter(turn)
    if meter is not None:
        turn.send(voice.NOT_TEXT.format(example=voice.example(meter)))


def take_value(turn, meter: Meter, value: int, unusual: bool) -> None:
    data = turn.data
    values = [*data.get("values", []), value]
    rate = len(values)
    turn.update(values=values, rate=rate, pending=None, unusual=bool(data.get("unusual")) or unusual)
    if rate < meter.kind.rate_count:
        turn.goto(Meters.value)
        ask_value(turn, meter)
    else:
        turn.goto(Meters.photo)
        ask_photo(turn)


def ask_photo(turn) -> None:
    turn.send(voice.ASK_PHOTO.format(button=voice.BTN_NO_PHOTO), voice.photo_keyboard())


def on_swapped(call) -> None:
    turn = current()
    turn.answer()
    turn.remove_buttons(call.message.message_id)
    meter = _current_meter(turn)
    if meter is None:
        return
    data = turn.data
    values = [*data.get("values", []), data.get("pending") or 0]
    readings.report_swap(turn.user_id, turn.chat_id, meter.id, tuple(values))
    home(turn, voice.SWAP_SENT.format(meter=voice.meter_title(meter)))


def on_retype(call) -> None:
    turn = current()
    turn.answer()
    turn.remove_buttons(call.message.message_id)
    turn.goto(Meters.value, pending=None)
    turn.send(voice.RETYPE)
    ask_value(turn)


def on_right(call) -> None:
    turn = current()
    turn.answer()
    turn.remove_buttons(call.message.message_id)
    meter = _current_meter(turn)
    if meter is not None:
        take_value(turn, meter, turn.data.get("pending") or 0, unusual=True)


def on_photo(message) -> None:
    turn = current()
    file_id, _, size = photo_of(message)
    if size and size > DOWNLOAD_MAX_BYTES:
        turn.send(voice.PHOTO_TOO_BIG.format(mb=DOWNLOAD_MAX_BYTES // 2**20, button=voice.BTN_NO_PHOTO))
        return
    turn.update(photo=file_id)
    show_summary(turn)


def on_no_photo(message) -> None:
    current().update(photo="")
    show_summary(current())


def on_photo_other(message) -> None:
    current().send(voice.PHOTO_WRONG.format(button=voice.BTN_NO_PHOTO))


def show_summary(turn) -> None:
    meter = _current_meter(turn)
    if meter is None:
        return
    data = turn.data
    values = data.get("values", [])
    base = readings.baseline(meter, window.period_of(window.today()))
    used = ", ".join(voice.number(base.consumption(i, v), meter.frac_digits) for i, v in enumerate(values))
    turn.goto(Meters.confirm)
    turn.send(voice.SUMMARY.format(meter=voice.meter_title(meter), values=voice.values_text(meter, values),
                                   unit=meter.kind.unit, used=used,
                                   photo=voice.PHOTO_YES if data.get("photo") else voice.PHOTO_NO),
              voice.send_or_cancel(data["flow"]))


def on_send(call) -> None:
    turn = current()
    turn.answer()
    turn.remove_buttons(call.message.message_id)
    data = turn.data
    if _window_closed(turn):
        return
    try:
        reading = readings.submit_from_bot(turn.user_id, turn.chat_id, data.get("meter"), tuple(data.get("values", [])),
                                           photo_file_id=data.get("photo") or "",
                                           confirmed_unusual=bool(data.get("unusual")))
    except readings.ReadingRefused as exc:
        home(turn, voice.REFUSED.format(reason=exc))
        return
    meter = reading.meter
    text = voice.SENT.format(meter=voice.meter_title(meter), values=voice.values_text(meter, reading.values),
                             unit=meter.kind.unit)
    turn.send(text + (voice.SENT_CHECK if reading.status == SUSPICIOUS else ""), resident.main_menu())
    if reading.photo_file_id:
        reading_id, bot = reading.id, turn.bot
        turn.later(lambda: download_photo(bot, reading_id))
    show_list(turn, meter.client_id)


_given_up: set[int] = set()  # readings whose photo Telegram will never hand out


def download_photo(bot, reading_id: int) -> bool:
    """The reading's photo from Telegram into the file store, so staff see it on «Показания» (right after
    the reading is stored; what fails is retried by the worker's job, download_pending)."""
    reading = db.session.get(MeterReading, reading_id)
    if reading is None or not reading.photo_file_id or reading.photo_path or reading_id in _given_up:
        return False
    file_id = reading.photo_file_id
    db.session.rollback()  # no transaction stays open across the download
    try:
        data, ext = photos.fetch(bot, file_id)
    except Exception as exc:  # noqa: BLE001 - the reading stands without its photo
        if classify(exc) == PERMANENT or isinstance(exc, photos.DownloadError):
            _given_up.add(reading_id)
        log.warning("Photo of meter reading %s not downloaded: %s", reading_id, describe(exc))
        return False
    reading = db.session.get(MeterReading, reading_id)
    if reading is not None:  # the file and the row naming it commit together (app.services.storage)
        reading.photo_path = save(f"meters/{reading_id}{ext}", data)
        db.session.commit()
    return True


def download_pending(bot, limit: int = 20) -> int:
    """Retry the readings' photos left without a file (the worker was offline, Telegram failed)."""
    ids = db.session.execute(
        select(MeterReading.id).where(MeterReading.photo_file_id != "", MeterReading.photo_path == "")
        .order_by(MeterReading.id.desc()).limit(limit + len(_given_up))).scalars().all()
    db.session.rollback()
    return sum(download_photo(bot, reading_id) for reading_id in ids if reading_id not in _given_up)


def on_cancel_button(call) -> None:
    turn = current()
    turn.answer(common.CANCELLED)
    turn.remove_buttons(call.message.message_id)
    home(turn, common.CANCELLED + " " + resident.MAIN_MENU)


def choose_button(message) -> None:
    turn = current()
    turn.send(voice.CHOOSE_BUTTON)
    turn.reprompt()


def _reprompt_list(turn) -> None:
    if turn.data.get("client") is None:
        begin_again(turn)
    else:
        show_list(turn, turn.data["client"])


def begin_again(turn) -> None:
    accounts = readings.accounts_of(turn.user_id)
    if not accounts:
        home(turn, resident.BINDING_LOST)
    elif len(accounts) > 1:
        choose_account(turn, accounts)
    else:
        open_account(turn, accounts[0])


def _reprompt_below(turn) -> None:
    turn.goto(Meters.value, pending=None)
    ask_value(turn)


REPROMPTS.update({
    Meters.account.name: begin_again,
    Meters.meter.name: _reprompt_list,
    Meters.value.name: ask_value,
    Meters.below.name: _reprompt_below,
    Meters.unusual.name: _reprompt_below,
    Meters.photo.name: ask_photo,
    Meters.confirm.name: show_summary,
})

STARTS = [  # the menu button that begins the dialog, at every step (see bot.handler_table)
    Step(ANY_STATE, label(voice.BTN_METERS), begin),
]
S = Meters
BUTTON_STEPS = [S.account, S.meter, S.below, S.unusual, S.confirm]  # they wait for an inline button
STEPS = [
    #    state          expected input                               handler
    Step(S.account,     button("acct"),                              on_account),
    Step(S.meter,       button("meter"),                             on_meter),
    Step(S.value,       TEXT,                                        on_value),
    Step(S.value,       ANYTHING,                                    on_value_other),
    Step(S.below,       button("swap"),                              on_swapped),
    Step(S.below,       button("retype"),                            on_retype),
    Step(S.unusual,     button("right"),                             on_right),
    Step(S.unusual,     button("fix"),                               on_retype),
    Step(S.photo,       label(voice.BTN_NO_PHOTO),                   on_no_photo),
    Step(S.photo,       content("photo"),                            on_photo),
    Step(S.photo,       content("document", when=is_image_document), on_photo),
    Step(S.photo,       ANYTHING,                                    on_photo_other),
    Step(S.confirm,     button("send"),                              on_send),
    Step(BUTTON_STEPS,  ANYTHING,                                    choose_button),
    Step(ALL_STATES,    button("cancel"),                            on_cancel_button),
]
