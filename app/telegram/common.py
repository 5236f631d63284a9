"""What residents and executors alike see: the reply buttons both menus have, the words for an
action undone, a button gone stale or a failure, and the keyboard of text and photos until «Готово».
Handlers match reply buttons by exact text, so each label lives here only."""
from app.telegram import markup

BTN_HELP = "Помощь"
BTN_CANCEL = "Отмена"
BTN_DONE = "Готово"  # ends text and photos being gathered (app.bot.collector)

CANCELLED = "Действие отменено."
STALE_BUTTON = "Эта кнопка устарела."

ERROR = "Произошла ошибка при обработке сообщения. Попробуйте ещё раз или нажмите /start."
DB_UNAVAILABLE = (
    "Сервис временно недоступен. Ваше сообщение не потеряно: мы обработаем его, "
    "как только работа восстановится."
)


def describing():
    """Text and photos until «Готово» (a request's description, an executor's report)."""
    return markup.reply_keyboard([BTN_DONE], [BTN_CANCEL])
