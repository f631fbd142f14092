"""The backend's database: one repository (`Database`) over SQLite or PostgreSQL (driver seam).

Callers get frozen records and `backend.db.errors` exceptions, never a driver's objects.
To add a table: append a migration to `backend.db.schema.MIGRATIONS`, then add methods to the
repository module of its area (`accounts.py`, `uploads.py`, or a new mixin of `Database`).
"""

from backend.db.errors import ConstraintError, DatabaseError, SchemaTooNewError
from backend.db.records import AuditRecord, SignedParts, UploadRecord, User
from backend.db.repository import Database, open_configured, open_database

__all__ = [
    "AuditRecord",
    "ConstraintError",
    "Database",
    "DatabaseError",
    "SchemaTooNewError",
    "SignedParts",
    "UploadRecord",
    "User",
    "open_configured",
    "open_database",
]
