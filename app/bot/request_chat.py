"""The resident's side of the conversation on a request: writing to the dispatcher, and the answers
about finished work («Проблема решена?», the rating).

State table:
    state            expected input                                  -> next state
    any state        «Написать по заявке» (card) / «Ответить»         -> Writing:message (about that request)
                     (under a staff message)
    any state        «Да» under «Проблема решена?» (or the card)      -> unchanged: request closed, rating asked
    any state        «Нет» there                                     -> Writing:message (what is wrong)
    any state        a rating 1-5                                    -> Writing:message (a comment on it)
    Writing:message  text, a photo or an album, an image as a file   -> Writing:message (each kept at once,
                                                                        by the collector: MESSAGES)
                     «Готово»                                        -> none: main menu
                     a sticker, voice, video, other file; a text     -> Writing:message (a hint)
                     without a letter or digit
The menu's commands and buttons work at every step (menu.AT_EVERY_STEP): /cancel, «Мои заявки»
and any list or card (my_requests.LEAVING) leave the writing mode, saying what was passed on (it is
already with the dispatcher). Each acknowledgement names the request the message was added to.

Every button here is lasting (app.telegram.codec): checked against the database on
each press, so a button of an old message works while it applies, or says why not; data
naming another resident's request, or an account the resident is no longer bound to, is
refused and changes nothing. What a request may take is decided by app.services.
"""
from telebot.states import State, StatesGroup

from app.bot import my_requests, photos
from app.bot.collector import Collector, Limits, Voice
from app.bot.dialog import REPROMPTS, current
from app.bot.incoming import is_image_document
from app.bot.menu import home
from app.bot.my_requests import card, refuse
from app.bot.routing import ANY_STATE, ANYTHING, TEXT, Step, content, label, lasting
from app.models.conversation import Kind
from app.services.requests import conversation
from app.services.requests import lifecycle as request_service
from app.services.requests.conversation import NotBound, NotYours
from app.services.requests.lifecycle import RequestError
from app.services.requests.statuses import Status
from app.telegram import codec, common, resident
from app.telegram.limits import MESSAGE_TEXT_MAX


class Writing(StatesGroup):
    message = State()


# --- writing to the dispatcher ---

def start_writing(turn, request, kind: Kind, prompt: str | None = None, durable: bool = False) -> None:
    """From now on the resident's messages go to this request (as `kind`), until «Готово»."""
    turn.start(Writing.message, request=request.id, number=request.number, kind=kind.value, sent=0)
    if prompt is None:
        prompt = resident.WRITE_PROMPT.format(number=request.number, done=common.BTN_DONE)
        if request.status == Status.CLOSED:
            prompt += "\n\n" + resident.WRITE_CLOSED_NOTE
    turn.send(prompt, resident.writing(), durable=durable)


def ask_to_write(turn) -> None:
    turn.send(resident.WRITE_PROMPT.format(number=turn.data.get("number"), done=common.BTN_DONE), resident.writing())


REPROMPTS[Writing.message.name] = ask_to_write


def _writable_request(turn):
    """The request being written about; None (the mode is over, the resident told why) if it no
    longer takes the resident's messages. Not locked: a message changes only the unread count, in SQL."""
    try:
        request = conversation.resident_request(turn.data.get("request", 0), turn.user_id)
    except NotYours:
        home(turn, resident.NOT_YOURS)
        return None
    except NotBound as error:
        home(turn, resident.NOT_BOUND.format(number=error.request.number))
        return None
    if not conversation.resident_can_write(request):
        home(turn, resident.WRITE_ARCHIVED.format(number=request.number))
        return None
    return request


def keep(turn, text: str, photo: tuple[str, str] | None) -> bool:
    """Hand one message (a text, or a photo with its caption) to the dispatcher at once."""
    request = _writable_request(turn)
    if request is None:
        return False
    conversation.add_resident_message(request, turn.user_id, text, photo=photo,
                                      kind=Kind(turn.data.get("kind", "message")))
    if photo is not None:
        request_id, bot = request.id, turn.bot
        turn.later(lambda: photos.download_for_request(bot, request_id))
    return True


# Each text, photo or picture of an album is a message of its own, kept at once (one reply per album).
MESSAGES = Collector(Limits(text_max=MESSAGE_TEXT_MAX, at_once=True), Voice(
    text_kept=resident.WRITE_SENT, photo_kept=resident.WRITE_PHOTO_SENT, no_words=resident.WRITE_NO_WORDS,
    wrong_type=resident.WRITE_WRONG_TYPE, text_cut=resident.WRITE_CUT), keep=keep)


def on_done(message) -> None:
    turn = current()
    data = turn.data
    count, number = data.get("sent", 0), data.get("number")
    home(turn, resident.WRITE_DONE.format(number=number, count=count) if count
         else resident.WRITE_NOTHING.format(number=number))


def on_leaving(turn) -> None:
    """The resident opens the list or a card: the writing mode ends, saying what was passed on (if
    anything: nothing to report otherwise, the list or card follows at once)."""
    if turn.data.get("sent"):
        on_done(None)
    else:
        turn.finish()


my_requests.LEAVING[Writing.message.name] = on_leaving


# --- lasting buttons ---

def _pressed(call, lock: bool = True):
    """(request, action, arg) of a lasting button; the request is None (and the press refused) if
    the presser may not act on it."""
    turn = current()
    action, request_id, arg = codec.parse_lasting_button(call.data)
    try:
        return conversation.resident_request(request_id, turn.user_id, lock=lock), action, arg
    except (NotYours, NotBound) as error:
        refuse(turn, error)
        return None, action, arg


def on_write(call) -> None:
    turn = current()
    request, _, _ = _pressed(call, lock=False)
    if request is None:
        return
    if not conversation.resident_can_write(request):
        turn.answer()
        turn.send(resident.WRITE_ARCHIVED.format(number=request.number))
        return
    turn.answer()
    start_writing(turn, request, Kind.MESSAGE)


def on_answer(call) -> None:
    """«Да» or «Нет» under «Проблема решена?» (the question's message, or the request's card)."""
    turn = current()
    request, action, arg = _pressed(call)
    if request is None:
        return
    solved = action == "yes"
    try:
        request_service.answer_confirmation(request, turn.user_id, solved)
    except RequestError as error:  # answered already, closed automatically, moved by staff
        turn.answer(common.STALE_BUTTON)
        turn.send(str(error))
    else:
        turn.answer()
        # Through the outbox: the request is closed or back in work, the resident must hear so.
        if solved:
            turn.send(resident.CONFIRMED.format(number=request.number), resident.rating(request.id), durable=True)
        else:
            start_writing(turn, request, Kind.REASON, durable=True,
                          prompt=resident.RETURNED.format(number=request.number, done=common.BTN_DONE))
    if call.message is None:
        return
    if arg == resident.ON_CARD:  # the card stays, as it is now
        turn.edit(call.message.message_id, *card(request, turn.user_id))
    else:
        turn.remove_buttons(call.message.message_id)


def on_rate(call) -> None:
    turn = current()
    request, _, arg = _pressed(call)
    if request is None:
        return
    stars = int(arg) if arg.isascii() and arg.isdigit() and len(arg) == 1 else 0
    try:
        request_service.rate(request, stars)
    except RequestError as error:
        turn.answer(common.STALE_BUTTON)
        turn.send(str(error))
        if call.message is not None:
            turn.remove_buttons(call.message.message_id)
        return
    turn.answer()
    if call.message is not None:
        turn.edit(call.message.message_id, resident.RATED.format(number=request.number, stars=resident.stars(stars)))
    start_writing(turn, request, Kind.FEEDBACK, prompt=resident.ASK_FEEDBACK.format(done=common.BTN_DONE))


STARTS = [  # lasting buttons: at every step (see bot.handler_table)
    Step(ANY_STATE, lasting("write"), on_write),
    Step(ANY_STATE, lasting("yes"), on_answer),
    Step(ANY_STATE, lasting("no"), on_answer),
    Step(ANY_STATE, lasting("rate"), on_rate),
]
W = Writing
STEPS = [
    #    state      expected input                               handler
    Step(W.message, label(common.BTN_DONE),                      on_done),
    Step(W.message, TEXT,                                        MESSAGES.on_text),
    Step(W.message, content("photo"),                            MESSAGES.on_photo),
    Step(W.message, content("document", when=is_image_document), MESSAGES.on_photo),
    Step(W.message, ANYTHING,                                    MESSAGES.on_other),
]
