"""Rules shared by the web app and the bot, by domain. Views and handlers call these.

requests/    the request lifecycle, statuses, deadlines, the conversation, executors' jobs, staff alerts
messaging/   the outbox, announcements and their audience
people/      clients, phones, residents' bindings, executors' accounts, the client import, throttling
statistics/  the dashboard's counters, the bot worker's metrics
operations/  operator tools off the request path: backup, transfer, demo data, the worker's heartbeat
storage.py   the files (photos) store
"""
