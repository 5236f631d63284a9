"""Who is who: clients and their phones, residents' Telegram bindings, executors' Telegram
accounts, the client import, and the throttle on failed identifications and logins."""
