"""The reference-data pages, one module per table (each registers its views on `bp`)."""
from app.admin import categories, clients, company, consents, executors, imports, users  # noqa: F401
