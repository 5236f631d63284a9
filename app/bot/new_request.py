"""Filing a request: address (with several flats), category, subcategory, description with photos, phone, done.

State table:
    state                      expected input                               -> next state
    none (known user)          «Создать заявку»                             -> NewRequest:address with more
                                                                               than one account, else :category
    NewRequest:address         an address button (an account the user holds) -> :category; an account no
                                                                               longer held: asked again
    NewRequest:category        a category button                            -> :subcategory, or :description
                                                                               when it has no subcategories
    NewRequest:subcategory     a subcategory button / «Назад»               -> :description / :category
    (after either choice: an incident known at the resident's house for it)  -> :incident
    NewRequest:incident        «Сообщать мне о ходе работ» (filed, linked)  -> none
                               «У меня другая проблема»                     -> :subcategory / :description
    NewRequest:description     text, photos, an album (captions join the    -> :description
                               text), gathered by the collector (DESCRIPTION)
                               «Готово» (text or a photo was given)         -> :confirm_phone (summary shown)
    NewRequest:confirm_phone   «Да» (the request is filed) / «Нет»          -> none / :new_phone
    NewRequest:new_phone       the user's own contact, or a typed phone     -> :drop_old_phone; none when it
                                                                               is the same number (filed)
    NewRequest:drop_old_phone  «Удалить старый» (the pair's phone replaced) -> none (filed)
                               / «Оставить оба» (a second pair added)
    any of them                inline «Отменить», «Отмена», /cancel         -> none
    any of them                text where a button is expected              -> unchanged (hint, asked again)

A category or subcategory switched off (or deleted) mid-dialog sends the user
back to choose again; the description and photos are kept. The request's
idempotency key is derived from the dialog run (`flow`), so filing twice is
impossible even if the same press arrives twice.
"""
from sqlalchemy import select
from telebot.states import State, StatesGroup

from app.bot import photos
from app.bot.collector import Collector, Limits, Voice, gathered
from app.bot.dialog import REPROMPTS, current
from app.bot.identify import contact_phone
from app.bot.incoming import is_image_document
from app.bot.menu import home, needs_identification
from app.bot.my_requests import due_line
from app.bot.routing import ANY_STATE, ANYTHING, CONTACT, TEXT, Step, button, content, label
from app.extensions import db
from app.models import Category, Incident, Request, RequestPhoto, Subcategory
from app.services.incidents import known, statuses as incident_statuses
from app.services.people import bindings
from app.services.requests.categories import active_categories, active_subcategories
from app.services.people.phones import InvalidPhone, display_phone, normalise_phone
from app.services.requests.lifecycle import DESCRIPTION_MAX, PHOTOS_MAX, RequestError, create_request
from app.telegram import codec, common, resident
from app.timezone import format_local

SUMMARY_DESCRIPTION_MAX = 1500  # the summary must fit into one Telegram message
YES_WORDS = {"да", "yes", "ок", "ok", "верно"}
NO_WORDS = {"нет", "no"}


class NewRequest(StatesGroup):
    address = State()
    category = State()
    subcategory = State()
    incident = State()
    description = State()
    confirm_phone = State()
    new_phone = State()
    drop_old_phone = State()


ALL_STATES = NewRequest.state_list()
# The description: text and photos gathered until «Готово» (captions join the text).
DESCRIPTION = Collector(Limits(text_max=DESCRIPTION_MAX, photos_max=PHOTOS_MAX), Voice(
    text_kept=resident.DESCRIPTION_SAVED, photo_kept=resident.PHOTO_SAVED, no_words=resident.DESCRIPTION_NO_WORDS,
    wrong_type=resident.DESCRIPTION_WRONG_TYPE, text_cut=resident.DESCRIPTION_CUT, text_full=resident.DESCRIPTION_FULL))


def _active(model, item_id) -> object | None:
    try:
        obj = db.session.get(model, int(item_id))
    except (TypeError, ValueError):
        return None
    return obj if obj is not None and obj.active else None


# --- prompts (also used to ask again after /help or a stale button) ---

def ask_address(turn, text: str = resident.CHOOSE_ADDRESS, message_id: int | None = None) -> None:
    held = bindings.accounts(turn.user_id)
    if not held:
        home(turn, resident.BINDING_LOST)
        return
    markup = resident.choices(turn.data["flow"], "addr",
                              [(pair.client_id, pair.client.address or pair.client.account) for pair in held])
    turn.goto(NewRequest.address)
    if message_id is not None:
        turn.edit(message_id, text, markup)
    else:
        turn.send(text, markup)


def _binding(turn):
    """The pair the request is filed by: the user's on the chosen account (its phone is offered)."""
    client_id = turn.data.get("client")
    if client_id is None:  # a dialog begun before accounts were chosen
        return bindings.current_binding(turn.user_id)
    return bindings.binding_for(turn.user_id, client_id)


def ask_category(turn, text: str = resident.CHOOSE_CATEGORY, message_id: int | None = None) -> None:
    cats = active_categories()
    if not cats:
        home(turn, resident.NO_CATEGORIES)
        return
    markup = resident.choices(turn.data["flow"], "cat", cats)
    turn.goto(NewRequest.category)
    if message_id is not None:
        turn.edit(message_id, text, markup)
    else:
        turn.send(text, markup)


def ask_subcategory(turn, category: Category, subs, text: str | None = None,
                    message_id: int | None = None) -> None:
    text = text or resident.CHOOSE_SUBCATEGORY.format(category=category.name)
    markup = resident.choices(turn.data["flow"], "sub", subs, back=True)
    if message_id is not None:
        turn.edit(message_id, text, markup)
    else:
        turn.send(text, markup)


def ask_description(turn) -> None:
    turn.send(resident.ASK_DESCRIPTION.format(done=common.BTN_DONE), common.describing())


def show_summary(turn) -> None:
    binding = _binding(turn)
    if binding is None:
        home(turn, resident.BINDING_LOST)
        return
    data = turn.data
    description, shots = gathered(data)
    description = description or resident.NO_DESCRIPTION
    if len(description) > SUMMARY_DESCRIPTION_MAX:
        description = description[:SUMMARY_DESCRIPTION_MAX] + "…"
    category = data.get("cat_name", "")
    if data.get("sub_name"):
        category += f" / {data['sub_name']}"
    turn.goto(NewRequest.confirm_phone, phone=binding.phone)
    turn.send(
        resident.SUMMARY.format(category=category, address=binding.client.address or "—",
                             description=description, photos=len(shots),
                             phone=display_phone(binding.phone)),
        resident.yes_no(data["flow"], (resident.BTN_PHONE_YES, "yes"), (resident.BTN_PHONE_NO, "no")),
    )


def ask_new_phone(turn) -> None:
    turn.send(resident.ASK_NEW_PHONE.format(button=resident.BTN_SHARE_PHONE), resident.share_phone())


def ask_drop_old(turn) -> None:
    turn.send(resident.ASK_DROP_OLD.format(old=display_phone(turn.data.get("phone", ""))),
              resident.yes_no(turn.data["flow"], (resident.BTN_REPLACE_OLD, "replace"),
                               (resident.BTN_KEEP_BOTH, "keep")))


def _known_incident(turn, category_id: int, subcategory_id: int | None):
    """An incident known at the house of the address the request is filed for."""
    binding = _binding(turn)
    return known.at_house(binding.client, category_id, subcategory_id) if binding is not None else None


def offer_incident(turn, incident, after: str) -> None:
    """«По вашему дому уже известно: …» before the resident describes the problem; `after`: where
    «У меня другая проблема» goes on (sub: the subcategory, desc: the description)."""
    turn.goto(NewRequest.incident, incident=incident.id, after=after)
    expected = format_local(incident.expected_at, "%d.%m, %H:%M") if incident.expected_at else None
    binding = _binding(turn)
    entrances = known.entrances_at(incident, binding.client) if binding is not None else ""
    turn.send(resident.incident_known(incident.description, expected, entrances),
              resident.incident_choice(turn.data["flow"]))


def _ask_incident_again(turn) -> None:
    incident = db.session.get(Incident, turn.data.get("incident") or 0)
    if incident is not None and incident.status in incident_statuses.KNOWN:
        offer_incident(turn, incident, turn.data.get("after", "desc"))
    else:
        _go_on(turn)


def _go_on(turn) -> None:
    """Past the incident's offer: the subcategory (when it was offered for the category) or the description."""
    category = _active(Category, turn.data.get("cat"))
    subs = active_subcategories(category.id) if category is not None else []
    if turn.data.get("after") == "sub" and subs:
        turn.goto(NewRequest.subcategory)
        ask_subcategory(turn, category, subs)
    elif category is None:
        ask_category(turn, resident.CATEGORY_GONE_NAMELESS)
    else:
        turn.goto(NewRequest.description)
        ask_description(turn)


def _ask_category_again(turn) -> None:
    ask_category(turn)


def _ask_subcategory_again(turn) -> None:
    category = _active(Category, turn.data.get("cat"))
    subs = active_subcategories(category.id) if category is not None else []
    if category is None or not subs:
        ask_category(turn, resident.CATEGORY_GONE_NAMELESS)
    else:
        ask_subcategory(turn, category, subs)


def _ask_address_again(turn) -> None:
    ask_address(turn)


REPROMPTS.update({
    NewRequest.address.name: _ask_address_again,
    NewRequest.category.name: _ask_category_again,
    NewRequest.subcategory.name: _ask_subcategory_again,
    NewRequest.incident.name: _ask_incident_again,
    NewRequest.description.name: ask_description,
    NewRequest.confirm_phone.name: show_summary,
    NewRequest.new_phone.name: ask_new_phone,
    NewRequest.drop_old_phone.name: ask_drop_old,
})


# --- handlers ---

def begin(message) -> None:
    """«Создать заявку» at any step: a fresh run of the dialog."""
    turn = current()
    if not bindings.is_bound(turn.user_id):
        needs_identification(turn)
        return
    held = bindings.accounts(turn.user_id)
    if len(held) > 1:
        turn.start(NewRequest.address)
        ask_address(turn)
    else:
        turn.start(NewRequest.category, client=held[0].client_id)
        ask_category(turn)


def on_address(call) -> None:
    turn = current()
    turn.answer()
    _, _, arg = codec.parse_dialog_button(call.data)
    pair = bindings.binding_for(turn.user_id, arg)
    if pair is None:
        ask_address(turn, resident.ADDRESS_GONE, call.message.message_id)
        return
    turn.update(client=pair.client_id)
    turn.edit(call.message.message_id, resident.ADDRESS_CHOSEN.format(address=pair.client.address or "—"))
    ask_category(turn)


def on_category(call) -> None:
    turn = current()
    turn.answer()
    _, _, arg = codec.parse_dialog_button(call.data)
    category = _active(Category, arg)
    if category is None:
        ask_category(turn, resident.CATEGORY_GONE_NAMELESS, call.message.message_id)
        return
    turn.update(cat=category.id, cat_name=category.name, sub=None, sub_name="")
    subs = active_subcategories(category.id)
    incident = _known_incident(turn, category.id, None)
    if incident is not None:
        turn.edit(call.message.message_id, resident.CHOSEN.format(category=category.name))
        offer_incident(turn, incident, "sub" if subs else "desc")
    elif subs:
        turn.goto(NewRequest.subcategory)
        ask_subcategory(turn, category, subs, message_id=call.message.message_id)
    else:
        turn.goto(NewRequest.description)
        turn.edit(call.message.message_id, resident.CHOSEN.format(category=category.name))
        ask_description(turn)


def on_subcategory(call) -> None:
    turn = current()
    turn.answer()
    _, _, arg = codec.parse_dialog_button(call.data)
    category = _active(Category, turn.data.get("cat"))
    if category is None:
        ask_category(turn, resident.CATEGORY_GONE.format(name=turn.data.get("cat_name", "")),
                     call.message.message_id)
        return
    sub = _active(Subcategory, arg)
    if sub is None or sub.category_id != category.id:
        subs = active_subcategories(category.id)
        if subs:
            ask_subcategory(turn, category, subs, resident.SUBCATEGORY_GONE, call.message.message_id)
        else:
            turn.goto(NewRequest.description, sub=None, sub_name="")
            turn.edit(call.message.message_id, resident.CHOSEN.format(category=category.name))
            ask_description(turn)
        return
    turn.goto(NewRequest.description, sub=sub.id, sub_name=sub.name)
    turn.edit(call.message.message_id, resident.CHOSEN_SUB.format(category=category.name, subcategory=sub.name))
    incident = _known_incident(turn, category.id, sub.id)
    if incident is not None:
        offer_incident(turn, incident, "desc")
    else:
        ask_description(turn)


def on_follow(call) -> None:
    """«Сообщать мне о ходе работ»: filed at once, linked to the incident, no description asked."""
    turn = current()
    turn.answer()
    turn.remove_buttons(call.message.message_id)
    file_request(turn, "", joining=True)


def on_other(call) -> None:
    """«У меня другая проблема»: the ordinary dialog goes on."""
    turn = current()
    turn.answer()
    turn.remove_buttons(call.message.message_id)
    _go_on(turn)


def on_back(call) -> None:
    turn = current()
    turn.answer()
    ask_category(turn, message_id=call.message.message_id)


def on_cancel_button(call) -> None:
    turn = current()
    turn.answer(common.CANCELLED)
    turn.remove_buttons(call.message.message_id)
    home(turn, common.CANCELLED + " " + resident.MAIN_MENU)


def on_done(message) -> None:
    turn = current()
    if not any(gathered(turn.data)):
        turn.send(resident.DESCRIPTION_EMPTY.format(done=common.BTN_DONE))
        return
    turn.send(resident.DESCRIPTION_DONE, resident.cancel_only())  # «Готово» has done its job
    show_summary(turn)


def on_phone_yes(call) -> None:
    turn = current()
    turn.answer()
    turn.remove_buttons(call.message.message_id)
    file_request(turn, turn.data.get("phone", ""))


def on_phone_no(call) -> None:
    turn = current()
    turn.answer()
    turn.remove_buttons(call.message.message_id)
    turn.goto(NewRequest.new_phone)
    ask_new_phone(turn)


def on_answer_typed(message) -> None:
    """«да» / «нет» typed instead of pressed; anything else gets the buttons again."""
    turn = current()
    word = (message.text or "").strip().casefold().rstrip("!.")
    if turn.state == NewRequest.confirm_phone.name and word in YES_WORDS:
        file_request(turn, turn.data.get("phone", ""))
    elif turn.state == NewRequest.confirm_phone.name and word in NO_WORDS:
        turn.goto(NewRequest.new_phone)
        ask_new_phone(turn)
    else:
        choose_button(message)


def choose_button(message) -> None:
    turn = current()
    turn.send(resident.CHOOSE_BUTTON)
    turn.reprompt()


def on_new_phone_contact(message) -> None:
    turn = current()
    if message.contact.user_id != turn.user_id:
        turn.send(resident.FOREIGN_CONTACT.format(button=resident.BTN_SHARE_PHONE))
        return
    _new_phone(turn, contact_phone(message.contact.phone_number))


def on_new_phone_text(message) -> None:
    _new_phone(current(), message.text)


def on_new_phone_other(message) -> None:
    current().send(resident.PHONE_NOT_TEXT.format(button=resident.BTN_SHARE_PHONE))


def _new_phone(turn, raw: str) -> None:
    try:
        phone = normalise_phone(raw)
    except InvalidPhone as exc:
        turn.send(str(exc))
        return
    if phone == turn.data.get("phone"):
        file_request(turn, phone)
        return
    turn.goto(NewRequest.drop_old_phone, new_phone=phone)
    turn.send(resident.NEW_PHONE_TAKEN.format(phone=display_phone(phone)), resident.cancel_only())
    ask_drop_old(turn)


def on_replace(call) -> None:
    turn = current()
    turn.answer()
    turn.remove_buttons(call.message.message_id)
    file_request(turn, turn.data.get("new_phone", ""), phone_change="replace")


def on_keep(call) -> None:
    turn = current()
    turn.answer()
    turn.remove_buttons(call.message.message_id)
    file_request(turn, turn.data.get("new_phone", ""), phone_change="add")


def file_request(turn, phone: str, phone_change: str | None = None, joining: bool = False) -> None:
    """Create the request (once per dialog run), updating the user's pairs first if asked; `joining`:
    the resident follows the incident offered (turn.data["incident"]), with their pair's phone."""
    data = turn.data
    key = f"tg:{turn.user_id}:{data.get('flow', '')}"
    existing = db.session.execute(select(Request).where(Request.idempotency_key == key)).scalar_one_or_none()
    if existing is not None:
        home(turn, resident.ALREADY_CREATED.format(number=existing.number))
        return
    binding = _binding(turn)
    if binding is None:
        home(turn, resident.BINDING_LOST)
        return
    category = _active(Category, data.get("cat"))
    if category is None:
        ask_category(turn, resident.CATEGORY_GONE.format(name=data.get("cat_name", "")))
        return
    sub = None
    if data.get("sub") is not None:
        sub = _active(Subcategory, data["sub"])
        if sub is None or sub.category_id != category.id:
            subs = active_subcategories(category.id)
            if subs:
                turn.goto(NewRequest.subcategory)
                ask_subcategory(turn, category, subs, resident.SUBCATEGORY_GONE)
                return
            sub = None
    client = binding.client
    incident = None
    if joining:
        incident = known.still_known(data.get("incident") or 0)
        if incident is None:  # fixed or closed since it was offered: the ordinary dialog
            turn.send(resident.INCIDENT_GONE)
            turn.goto(NewRequest.description)
            ask_description(turn)
            return
        phone = binding.phone
    if phone_change == "replace":
        bindings.replace_phone(binding, phone)
    elif phone_change == "add":
        bindings.bind(client, turn.user_id, turn.chat_id, phone)
    description, shots = gathered(data)
    if incident is not None:
        description, shots = resident.JOINED_DESCRIPTION.format(incident=incident.number), []
    try:
        request = create_request(
            client=client, category=category, subcategory=sub, description=description,
            contact_phone=phone, author_telegram_id=turn.user_id, author_chat_id=turn.chat_id,
            idempotency_key=key,
        )
    except RequestError as exc:
        turn.send(resident.REQUEST_FAILED.format(reason=exc))
        turn.reprompt()
        return
    for file_id, unique_id in shots:
        db.session.add(RequestPhoto(request_id=request.id, telegram_file_id=file_id,
                                    telegram_file_unique_id=unique_id))
    if incident is not None:
        known.join(incident, request)
        home(turn, resident.INCIDENT_FOLLOWED.format(number=request.number, incident=incident.number), durable=True)
        return
    # Through the outbox: the resident learns the number even if the worker dies right after the commit.
    due = due_line(request)
    home(turn, resident.REQUEST_CREATED.format(number=request.number, category=request.category_text,
                                            address=request.address or "—", phone=display_phone(phone),
                                            due=f"\n{due}" if due else ""),
         durable=True)
    if shots:
        request_id, bot = request.id, turn.bot
        turn.later(lambda: photos.download_for_request(bot, request_id))


STARTS = [  # the menu button that begins the dialog, at every step (see bot.handler_table)
    Step(ANY_STATE, label(resident.BTN_CREATE), begin),
]
S = NewRequest
BUTTON_STEPS = [S.address, S.category, S.subcategory, S.incident, S.confirm_phone, S.drop_old_phone]  # they wait for an inline button
# The state table above: at each state, the first row whose input matches handles it.
# (Inline buttons of another run or step match no row here: menu.on_stale_button answers them.)
STEPS = [
    #    state             expected input                               handler
    Step(S.address,        button("addr"),                              on_address),
    Step(S.category,       button("cat"),                               on_category),
    Step(S.subcategory,    button("sub"),                               on_subcategory),
    Step(S.subcategory,    button("back"),                              on_back),
    Step(S.incident,       button("follow"),                            on_follow),
    Step(S.incident,       button("other"),                             on_other),
    Step(S.description,    label(common.BTN_DONE),                      on_done),
    Step(S.description,    TEXT,                                        DESCRIPTION.on_text),
    Step(S.description,    content("photo"),                            DESCRIPTION.on_photo),
    Step(S.description,    content("document", when=is_image_document), DESCRIPTION.on_photo),
    Step(S.description,    ANYTHING,                                    DESCRIPTION.on_other),
    Step(S.confirm_phone,  button("yes"),                               on_phone_yes),
    Step(S.confirm_phone,  button("no"),                                on_phone_no),
    Step(S.new_phone,      CONTACT,                                     on_new_phone_contact),
    Step(S.new_phone,      TEXT,                                        on_new_phone_text),
    Step(S.new_phone,      ANYTHING,                                    on_new_phone_other),
    Step(S.drop_old_phone, button("replace"),                           on_replace),
    Step(S.drop_old_phone, button("keep"),                              on_keep),
    Step(BUTTON_STEPS,     TEXT,                                        on_answer_typed),  # «да»/«нет» typed
    Step(BUTTON_STEPS,     ANYTHING,                                    choose_button),
    Step(ALL_STATES,       button("cancel"),                            on_cancel_button),
]
