"""What the system says to residents in Telegram on its own initiative (Russian, plain text: no
parse mode, so nothing staff type is read as markup): a dispatcher's message, a status move, the
question «Проблема решена?», and their lasting buttons. The services decide and queue
(app.services.conversation, requests); nothing here imports app.services.
"""
from app.telegram import codec

STAFF_MESSAGE = "Сообщение по заявке № {number}:\n{text}"
STAFF_PHOTO = "Фото по заявке № {number}"
STATUS_NEWS = "Статус вашей заявки № {number} изменён: {status}."
STATUS_NEWS_COMMENT = "\nКомментарий: {comment}"
QUESTION = "Проблема решена?"
BTN_REPLY = "Ответить"
BTN_YES = "Да"
BTN_NO = "Нет"


def staff_message(number: str, text: str) -> str:
    """A dispatcher's message (its photo, if it has no text)."""
    return STAFF_MESSAGE.format(number=number, text=text) if text else STAFF_PHOTO.format(number=number)


def status_news(number: str, status: str, comment: str = "") -> str:
    text = STATUS_NEWS.format(number=number, status=status)
    if comment:
        text += STATUS_NEWS_COMMENT.format(comment=comment)
    return text


def question(news: str) -> str:
    """The status news and the question in one message."""
    return f"{news}\n\n{QUESTION}"


def _markup(*rows: list[tuple[str, str]]) -> dict:
    """Inline buttons as Bot API data (as the outbox keeps them)."""
    return {"inline_keyboard": [[{"text": text, "callback_data": data} for text, data in row] for row in rows]}


def reply_markup(request_id: int) -> dict:
    return _markup([(BTN_REPLY, codec.lasting_button("write", request_id))])


def question_markup(request_id: int) -> dict:
    return _markup([(BTN_YES, codec.lasting_button("yes", request_id)),
                    (BTN_NO, codec.lasting_button("no", request_id))])
