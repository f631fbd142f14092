"""What the repository needs from a database: transactions of `?`-placeholder SQL, and a dialect.

The repository's SQL is written once, in the subset SQLite and PostgreSQL share (`ON CONFLICT`,
`RETURNING`, `?` placeholders translated here); the few true differences live in `Dialect`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one database spells the little that differs.

    Attributes:
        name: `sqlite` or `postgresql`.
        identity: Column definition of an auto-numbered primary key (`{id}` in migrations).
        placeholder: The driver's parameter marker (the repository writes `?`).
    """

    name: str
    identity: str
    placeholder: str


@lru_cache(maxsize=512)
def translate(sql: str, placeholder: str) -> str:
    """`sql` with the repository's `?` placeholders spelled as the driver's."""
    return sql if placeholder == "?" else sql.replace("?", placeholder)


class Tx:
    """Statements of one transaction (or one read), answered as dict rows."""

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        """Run on a DB-API `cursor` whose rows are dicts."""
        self._cursor = cursor
        self._dialect = dialect

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        """Execute a statement; the number of rows it changed."""
        self._cursor.execute(translate(sql, self._dialect.placeholder), tuple(params))
        return int(self._cursor.rowcount)

    def one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        """The first row of a query, or None."""
        self._cursor.execute(translate(sql, self._dialect.placeholder), tuple(params))
        row: Row | None = self._cursor.fetchone()
        return row

    def all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Every row of a query."""
        self._cursor.execute(translate(sql, self._dialect.placeholder), tuple(params))
        return list(self._cursor.fetchall())


class Driver(Protocol):
    """One database's connections behind the repository.

    Both context managers translate the driver's exceptions into `backend.db.errors`.
    """

    dialect: Dialect

    def transaction(self, locks: Sequence[str] = ()) -> AbstractContextManager[Tx]:
        """A read-write transaction, committed on exit and rolled back on any exception.

        `locks` names things the transaction must have to itself until it ends (a login scope,
        the schema): a database that locks all writers at once (SQLite) may ignore them.
        """
        ...

    def write_all(self, statements: Sequence[tuple[str, Sequence[object]]]) -> list[list[Row]]:
        """Run the statements as one transaction, all of them or none; each statement's rows
        (a write's `RETURNING`, a read's result), in order.

        Where the database takes several statements in one message (PostgreSQL), that is one
        round trip where `transaction` costs one per statement, plus a BEGIN and a COMMIT.
        """
        ...

    def read(self) -> AbstractContextManager[Tx]:
        """Reads in autocommit: each sees committed data."""
        ...

    def write_one(self) -> AbstractContextManager[Tx]:
        """Writes in autocommit, each one statement, which the database makes atomic by itself
        without a BEGIN and a COMMIT."""
        ...

    def serving(self) -> AbstractContextManager[None]:
        """What the database needs beside the requests while a process serves them."""
        ...

    def close(self) -> None:
        """Release every connection."""
        ...


class RepositoryBase:
    """Holds the driver the repository's area mixins share."""

    def __init__(self, driver: Driver) -> None:
        """Work through `driver`."""
        self._driver = driver

    def _tx(self, locks: Sequence[str] = ()) -> AbstractContextManager[Tx]:
        return self._driver.transaction(locks)

    def _read(self) -> AbstractContextManager[Tx]:
        return self._driver.read()

    def _write_all(self, *statements: tuple[str, Sequence[object]]) -> list[list[Row]]:
        return self._driver.write_all(statements)

    def _write_one(self) -> AbstractContextManager[Tx]:
        """For a write that is a single statement: it commits by itself, so it skips the BEGIN and
        COMMIT of `_tx` (on PostgreSQL two round trips fewer; on SQLite no immediate lock taken
        ahead of it)."""
        return self._driver.write_one()


def sorted_locks(locks: Iterable[str]) -> Iterator[str]:
    """Lock names in one global order, so two transactions never wait on each other in a cycle."""
    return iter(sorted(set(locks)))
