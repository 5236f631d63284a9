"""Operator tools, outside the request path: backup and restore, the transfer to PostgreSQL,
demo data, and the bot worker's heartbeat."""
