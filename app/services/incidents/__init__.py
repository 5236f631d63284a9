"""Incidents (аварии): many requests about one burst riser become one piece of work.

- statuses: the incident's statuses and moves, and where each one takes its open requests.
- records: creating an incident, linking and unlinking requests (the bad-input rules).
- moves: one status move for the incident and all its open requests, through the request lifecycle.
- messages: a message to every linked resident.
- known: what the bot tells the next resident at an affected address.
- early_warning: N new requests of one category from one house within M minutes.
"""
