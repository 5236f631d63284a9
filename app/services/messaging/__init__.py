"""What the system sends to Telegram on its own initiative: the outbox, announcements and their
audience, and the outage template."""
