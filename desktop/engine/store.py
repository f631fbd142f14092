"""The queue's state on disk: SQLite in WAL mode, a schema version and ordered migrations,
so a queue survives crashes and app updates.

What is stored: jobs (path, fingerprint, metadata, state, upload id, key, part size, checksum
algorithm), finished parts (number, size, ETag, checksum) and receipts. What is never stored: URLs
and tokens — presigned URLs expire and are secrets.

Every write commits before it returns, with ``synchronous=FULL``, so a part counts as done only once
its row is on disk: a crash at any instant costs at most the parts in flight. Any SQLite or OS
failure (disk full, read-only folder, corrupt file) becomes :class:`desktop.errors.StateStoreError`,
which pauses the queue.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop import platforms
from desktop.engine import receipt as receipt_fields
from desktop.engine.events import JobState
from desktop.engine.fingerprint import Fingerprint
from desktop.engine.growth import FileIdentity
from desktop.engine.jobs import Following, UploadJob
from desktop.engine.receipt import Receipt
from desktop.engine.receipt_log import ReceiptLog
from desktop.errors import StateStoreError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PartRecord:
    """A part that storage has acknowledged.

    Attributes:
        number: 1-based part number.
        size: Bytes.
        etag: ETag storage returned, without quotes.
        checksum: Hex checksum (the job's algorithm) of the bytes hashed, which the part's URL was
            signed with, so storage holds exactly those bytes.
    """

    number: int
    size: int
    etag: str
    checksum: str


_V1 = """
CREATE TABLE jobs (
    job_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sample TEXT NOT NULL,
    exam_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    priority INTEGER NOT NULL,
    created_at REAL NOT NULL,
    state TEXT NOT NULL,
    error_title TEXT,
    error_message TEXT,
    key TEXT,
    upload_id TEXT,
    part_size INTEGER
);
CREATE TABLE parts (
    job_id TEXT NOT NULL REFERENCES jobs(job_id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    md5 TEXT NOT NULL,
    PRIMARY KEY (job_id, number)
);
CREATE TABLE receipts (
    upload_id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    path TEXT NOT NULL,
    key TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    etag TEXT NOT NULL,
    completed_at TEXT NOT NULL,
    exam_id TEXT NOT NULL,
    kind TEXT NOT NULL
);
"""

_V2 = "CREATE INDEX receipts_by_time ON receipts (completed_at);"

# The backend's signed receipt (a JWS); empty for receipts stored before servers signed them.
_V3 = "ALTER TABLE receipts ADD COLUMN signed TEXT NOT NULL DEFAULT '';"

# Jobs that follow a recording still being written (issue 13): how long it must settle, and the
# file (device, inode) being followed.
_V4 = """
CREATE TABLE follows (
    job_id TEXT PRIMARY KEY REFERENCES jobs(job_id) ON DELETE CASCADE,
    settle REAL NOT NULL,
    device INTEGER NOT NULL,
    inode INTEGER NOT NULL
);
"""

# Parts are checked by the checksum storage verifies (CRC64NVME by default); jobs of earlier
# versions keep the MD5 they were sent with (a NULL algorithm means MD5).
_V5 = """
ALTER TABLE parts RENAME COLUMN md5 TO checksum;
ALTER TABLE jobs ADD COLUMN checksum_algorithm TEXT;
"""

#: Ordered migrations: MIGRATIONS[i] takes the schema from version i to i + 1.
MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5)
SCHEMA_VERSION = len(MIGRATIONS)

_JOB_COLUMNS = (
    "job_id, path, size, mtime_ns, sample, exam_id, kind, priority, created_at, state, "
    "error_title, error_message, key, upload_id, part_size, checksum_algorithm"
)
_JOB_UPDATES = ", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in _JOB_COLUMNS.split(",")[1:])
# The receipts table has one column per receipt field, of the same name: a new field needs a
# migration that adds its column.
_RECEIPT_COLUMNS = ", ".join(receipt_fields.FIELDS)


class _DamagedError(Exception):
    """The database file is not a readable SQLite database."""


def _fail(action: str, exc: BaseException) -> StateStoreError:
    text = str(exc).lower()
    if "full" in text or "no space" in text:
        message = (
            f"Upload progress could not be saved ({action}): the disk is full. Uploads are "
            "paused; free some space, then resume. Nothing already uploaded is lost."
        )
    else:
        message = (
            f"Upload progress could not be saved ({action}: {exc}). Uploads are paused; check "
            "that the app's data folder is writable, then resume. Nothing already uploaded is lost."
        )
    return StateStoreError(message)


def _is_damaged(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file itself is broken (not busy, locked, full or read-only)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return True
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text


class QueueStore:
    """The SQLite-backed queue state. Thread-safe: one connection guarded by a lock.

    Attributes:
        path: The database file.
        quarantined: Where a damaged database found at start-up was moved (the store then started
            empty, with the receipts rebuilt from the receipt file); None when it was healthy.
        restored_receipts: How many receipts were rebuilt that way.
    """

    def __init__(self, path: Path) -> None:
        """Open (creating and migrating as needed) the database at `path`.

        A file SQLite cannot read as a database (garbage over its header, a malformed page) is
        moved aside as ``<name>.damaged-<time>``, never deleted, and a new database is started;
        receipts come back from the receipt file beside it. Jobs and finished parts cannot: their
        files have to be added again.

        Raises:
            StateStoreError: The file cannot be created, opened or migrated.
        """
        self.path = path
        self.quarantined: Path | None = None
        self.restored_receipts = 0
        self._lock = threading.Lock()
        self._log = ReceiptLog(path.with_name("receipts.jsonl"))
        try:
            self._open()
        except _DamagedError:
            self._set_aside()
            self._open()
            restored = self._log.read()
            if restored:
                self._insert_receipts(restored)
            self.restored_receipts = len(restored)
            logger.warning(
                "The queue database was damaged; set aside as %s, started anew, %d receipt(s) "
                "restored",
                self.quarantined,
                self.restored_receipts,
            )
        self._start_receipt_log()

    def _open(self) -> None:
        path = self.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # The queue names the proctor's recordings and exams: for the user's eyes only.
            platforms.create_private_file(path)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise _fail("opening the queue database", exc) from exc
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
            if self._db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise _DamagedError
        except (sqlite3.Error, StateStoreError, _DamagedError) as exc:
            self._db.close()
            if isinstance(exc, (StateStoreError, _DamagedError)):
                raise
            if _is_damaged(exc):
                raise _DamagedError from exc
            raise _fail("opening the queue database", exc) from exc

    def _set_aside(self) -> None:
        """Move the damaged database (and its WAL files) aside, keeping it for a closer look."""
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        try:
            for suffix in ("", "-wal", "-shm"):
                source = self.path.with_name(self.path.name + suffix)
                if source.exists():
                    source.replace(target.with_name(target.name + suffix))
        except OSError as exc:
            raise _fail("setting a damaged queue database aside", exc) from exc
        self.quarantined = target

    def _start_receipt_log(self) -> None:
        """Start the receipt file from the database's receipts when there is none yet (upgrade)."""
        if self._log.exists():
            return
        existing = self.receipts()
        if existing:
            self._log.append(existing)

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        version = 0 if row is None else int(row[0])
        if version > SCHEMA_VERSION:
            raise StateStoreError(
                f"The queue database {self.path} was written by a newer version of the app "
                f"(schema {version}, this one knows {SCHEMA_VERSION}). Update the app."
            )
        for target in range(version, SCHEMA_VERSION):
            # executescript commits first, so each step is applied as its own script, then recorded.
            self._db.executescript(f"BEGIN;\n{MIGRATIONS[target]}\nCOMMIT;")
            with self._tx():
                self._db.execute("DELETE FROM schema_version")
                self._db.execute("INSERT INTO schema_version (version) VALUES (?)", (target + 1,))
            logger.info("queue database migrated to schema %d", target + 1)

    @contextlib.contextmanager
    def _tx(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _write(self, action: str, body: Callable[[], object]) -> None:
        with self._lock:
            try:
                with self._tx():
                    body()
            except (sqlite3.Error, OSError) as exc:
                logger.error("queue database write failed (%s): %s", action, exc)
                raise _fail(action, exc) from exc

    def _read(self, action: str, sql: str, args: tuple[object, ...] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise _fail(action, exc) from exc

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._db.close()

    @property
    def schema_version(self) -> int:
        """The schema version on disk."""
        return int(
            self._read("reading the schema version", "SELECT version FROM schema_version")[0][0]
        )

    def save_job(self, job: UploadJob, *, state: JobState | None = None) -> None:
        """Insert or replace the job's row (its parts are untouched).

        Args:
            job: The job.
            state: Store this state instead of the job's own (shutdown saves paused jobs as queued
                so the next start resumes them).
        """
        with job.lock:
            fp = job.fingerprint
            values = (
                job.job_id, job.path, job.size, fp.mtime_ns, fp.sample, job.exam_id, job.kind,
                job.priority, job.created_at, (state or job.state).value, job.error_title,
                job.error_message, job.key, job.upload_id, job.part_size, job.checksum_algorithm,
            )  # fmt: skip
            follow = job.follow

        def body() -> None:
            # An upsert, not INSERT OR REPLACE: REPLACE deletes the old row first, and that delete
            # cascades to the job's parts (foreign keys are on), wiping every recorded part.
            self._db.execute(
                f"INSERT INTO jobs ({_JOB_COLUMNS}) VALUES ({','.join('?' * len(values))}) "
                f"ON CONFLICT(job_id) DO UPDATE SET {_JOB_UPDATES}",
                values,
            )
            if follow is None:
                self._db.execute("DELETE FROM follows WHERE job_id = ?", (values[0],))
            else:
                self._db.execute(
                    "INSERT OR REPLACE INTO follows (job_id, settle, device, inode) "
                    "VALUES (?, ?, ?, ?)",
                    (values[0], follow.settle, follow.identity.device, follow.identity.inode),
                )

        self._write("saving a job", body)

    def load_jobs(self) -> list[UploadJob]:
        """Every job, oldest first."""
        rows = self._read(
            "loading the queue", f"SELECT {_JOB_COLUMNS} FROM jobs ORDER BY created_at, rowid"
        )
        follows = {
            str(r[0]): Following(settle=float(r[1]), identity=FileIdentity(int(r[2]), int(r[3])))
            for r in self._read(
                "loading the queue", "SELECT job_id, settle, device, inode FROM follows"
            )
        }
        jobs = []
        for r in rows:
            jobs.append(
                UploadJob(
                    job_id=str(r[0]),
                    path=str(r[1]),
                    size=int(r[2]),
                    fingerprint=Fingerprint(size=int(r[2]), mtime_ns=int(r[3]), sample=str(r[4])),
                    exam_id=str(r[5]),
                    kind=str(r[6]),
                    priority=int(r[7]),
                    created_at=float(r[8]),
                    state=JobState(r[9]),
                    error_title=None if r[10] is None else str(r[10]),
                    error_message=None if r[11] is None else str(r[11]),
                    key=None if r[12] is None else str(r[12]),
                    upload_id=None if r[13] is None else str(r[13]),
                    part_size=None if r[14] is None else int(r[14]),
                    follow=follows.get(str(r[0])),
                    checksum_algorithm=None if r[15] is None else str(r[15]),
                )
            )
        return jobs

    def delete_job(self, job_id: str) -> None:
        """Remove a job and its parts (receipts stay)."""
        self._write(
            "removing a job",
            lambda: self._db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,)),
        )

    def record_part(self, job_id: str, part: PartRecord) -> None:
        """Durably record one finished part."""
        self._write(
            "recording a finished part",
            lambda: self._db.execute(
                "INSERT OR REPLACE INTO parts (job_id, number, size, etag, checksum) "
                "VALUES (?, ?, ?, ?, ?)",
                (job_id, part.number, part.size, part.etag, part.checksum),
            ),
        )

    def parts(self, job_id: str) -> dict[int, PartRecord]:
        """The recorded parts of a job by number."""
        rows = self._read(
            "loading finished parts",
            "SELECT number, size, etag, checksum FROM parts WHERE job_id = ? ORDER BY number",
            (job_id,),
        )
        return {
            int(r[0]): PartRecord(
                number=int(r[0]), size=int(r[1]), etag=str(r[2]), checksum=str(r[3])
            )
            for r in rows
        }

    def replace_parts(self, job_id: str, parts: list[PartRecord]) -> None:
        """Replace a job's recorded parts in one transaction (after reconciling with the server)."""

        def body() -> None:
            self._db.execute("DELETE FROM parts WHERE job_id = ?", (job_id,))
            self._db.executemany(
                "INSERT INTO parts (job_id, number, size, etag, checksum) VALUES (?, ?, ?, ?, ?)",
                [(job_id, p.number, p.size, p.etag, p.checksum) for p in parts],
            )

        self._write("reconciling finished parts", body)

    def add_receipt(self, receipt: Receipt) -> None:
        """Store a receipt (idempotent per upload id), in the database and the receipt file."""
        self._log.append([receipt])
        self._insert_receipts([receipt])

    def _insert_receipts(self, receipts: list[Receipt]) -> None:
        def body() -> None:
            self._db.executemany(
                f"INSERT OR REPLACE INTO receipts ({_RECEIPT_COLUMNS}) "
                f"VALUES ({','.join('?' * len(receipt_fields.FIELDS))})",
                [receipt_fields.to_row(r) for r in receipts],
            )

        self._write("storing a receipt", body)

    def receipts(self) -> list[Receipt]:
        """Every receipt, oldest first."""
        rows = self._read(
            "loading receipts", f"SELECT {_RECEIPT_COLUMNS} FROM receipts ORDER BY completed_at"
        )
        return [receipt_fields.from_row(tuple(r)) for r in rows]
