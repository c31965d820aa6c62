"""Results database: SQLite (WAL) with forward migrations and idempotent writes."""

from chainaudit.store.db import Store
from chainaudit.store.export import export_table
from chainaudit.store.models import record_model, record_models

__all__ = ["Store", "export_table", "record_model", "record_models"]
