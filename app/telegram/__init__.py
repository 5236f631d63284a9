"""What the system says in Telegram and what Telegram allows.

The start of the one package that speaks to Telegram (issue: one Telegram voice): its limits
(limits.py) and what a photo sent to Telegram must be (photos.py), for the bot, the services and
the web forms alike.
"""
