"""Results database: SQLite (WAL) with forward migrations and idempotent writes."""

from chainaudit.store.db import Store
from chainaudit.store.export import export_table

__all__ = ["Store", "export_table"]
