"""The request lifecycle and what hangs on a request: statuses, numbers, categories, deadlines,
the conversation with its resident, the jobs of its executor and the staff chat's alerts."""
