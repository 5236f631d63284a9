"""What residents and executors alike see: the reply buttons both menus have, and the words for
an action undone or a button gone stale. Handlers match reply buttons by exact text, so each
label lives here only."""

BTN_HELP = "Помощь"
BTN_CANCEL = "Отмена"
BTN_DONE = "Готово"  # ends text and photos being gathered (app.bot.collector)

CANCELLED = "Действие отменено."
STALE_BUTTON = "Эта кнопка устарела."
