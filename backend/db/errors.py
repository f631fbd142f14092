"""The database's own errors: what callers above `backend.db` may catch (never a driver's)."""

from __future__ import annotations


class DatabaseError(Exception):
    """The database failed or cannot be reached; the message says what happened."""


class ConstraintError(DatabaseError):
    """A write broke a uniqueness or reference rule (a name already taken, for instance)."""


class SchemaTooNewError(DatabaseError):
    """The database was migrated by a newer backend than this one."""
