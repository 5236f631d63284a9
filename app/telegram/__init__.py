"""What the system says in Telegram and what Telegram allows: the one package that speaks to
Telegram's users, for the bot, the services and the web forms alike. Services decide what happened
and queue it through these modules; bot handlers reply through them. Nothing here imports
app.services or app.bot.

    resident.py  residents: what the services queue, the bot dialogs' texts and keyboards
    executor.py  executors: the job card, what the services queue, the executor's menu and report
    common.py    what both see: the shared reply buttons and words, «Готово» / «Отмена»
    codec.py     inline buttons' data: dialog buttons, lasting buttons, the settings switch
    markup.py    telebot's keyboard types, loaded on the first keyboard (the web never loads telebot)
    limits.py    Telegram's limits
    photos.py    what a photo staff upload must be
"""
