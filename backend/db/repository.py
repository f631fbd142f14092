"""`Database`: the repository the services use, whichever database is behind it."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from backend.db.accounts import AccountsRepository
from backend.db.driver import Driver
from backend.db.evidence import EvidenceRepository
from backend.db.schema import migrate
from backend.db.sqlite import SQLiteDriver
from backend.db.uploads import UploadsRepository
from backend.settings import Settings


class Database(AccountsRepository, UploadsRepository, EvidenceRepository):
    """Thread-safe access to the backend's tables; raises only `backend.db.errors` exceptions.

    Each area (accounts, uploads) keeps its methods in its own module; a new area adds a mixin
    here and its tables as a migration in `backend.db.schema`.
    """

    def __init__(self, driver: Driver, *, where: str = "") -> None:
        """Work through `driver`, migrating its schema first (`where` names it in errors)."""
        super().__init__(driver)
        self.dialect = driver.dialect.name
        try:
            migrate(driver, where or driver.dialect.name)
        except BaseException:
            driver.close()
            raise

    def ping(self) -> None:
        """Raise `DatabaseError` unless the database answers a trivial query."""
        with self._read() as tx:
            tx.one("SELECT 1 AS one")

    def serving(self) -> AbstractContextManager[None]:
        """For the life of a serving process: the database's work beside the requests (SQLite's
        checkpoints, off the event loop)."""
        return self._driver.serving()

    def close(self) -> None:
        """Release the connections."""
        self._driver.close()


def open_configured(settings: Settings) -> Database:
    """The database `settings` name (`database_url`, else the SQLite file)."""
    return open_database(settings.database, pool_size=settings.database_pool_size)


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_database(target: str | Path, *, pool_size: int = 10) -> Database:
    """The database at `target`: a PostgreSQL URL, or a SQLite file path (or `sqlite:///path`).

    `pool_size` bounds this process's connections to PostgreSQL.

    Raises:
        DatabaseError: It cannot be opened or migrated.
    """
    text = str(target)
    if text.startswith(POSTGRES_SCHEMES):
        from backend.db.postgres import PostgresDriver, redact

        return Database(PostgresDriver(text, pool_size=pool_size), where=redact(text))
    path = text.removeprefix("sqlite:///") if text.startswith("sqlite:///") else text
    return Database(SQLiteDriver(path), where=path)
