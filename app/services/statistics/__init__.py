"""Figures: the dashboard's counters kept in step with the requests, the bot worker's metrics."""
