"""The schema as one ordered list of migrations, applied alike to SQLite and PostgreSQL.

To change the schema, append a `Migration` with the next version; never edit a released one (a
database that already ran it would not run it again). Write the SQL both databases accept:
`BIGINT` for sizes and ids, `DOUBLE PRECISION` for Unix times, `TEXT`, and `{id}` for an
auto-numbered primary key. The pending migrations run in one transaction with the version bump.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from backend.db.driver import Driver
from backend.db.errors import SchemaTooNewError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema.

    Attributes:
        version: The schema version once applied (1, 2, ... without gaps).
        why: What it changes, in words.
        statements: SQL statements, `{id}` standing for the dialect's identity column.
    """

    version: int
    why: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "users, refresh-token families, login failures, keys, uploads, claims, client tokens",
        (
            """CREATE TABLE IF NOT EXISTS users (
                id {id},
                username TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('user', 'admin')),
                disabled INTEGER NOT NULL DEFAULT 0,
                created_at DOUBLE PRECISION NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS token_families (
                family_id TEXT PRIMARY KEY,
                user_id BIGINT NOT NULL REFERENCES users(id),
                created_at DOUBLE PRECISION NOT NULL,
                revoked_at DOUBLE PRECISION,
                revoked_reason TEXT
            )""",
            """CREATE TABLE IF NOT EXISTS refresh_tokens (
                jti TEXT PRIMARY KEY,
                family_id TEXT NOT NULL REFERENCES token_families(family_id),
                issued_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL,
                used_at DOUBLE PRECISION
            )""",
            "CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens(family_id)",
            """CREATE TABLE IF NOT EXISTS login_failures (
                scope TEXT NOT NULL,
                at DOUBLE PRECISION NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS login_failures_scope ON login_failures(scope, at)",
            """CREATE TABLE IF NOT EXISTS keys (
                key TEXT PRIMARY KEY,
                user_id BIGINT NOT NULL,
                source TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS uploads (
                seq {id},
                upload_id TEXT NOT NULL UNIQUE,
                s3_upload_id TEXT NOT NULL,
                user_id BIGINT NOT NULL REFERENCES users(id),
                username TEXT NOT NULL,
                key TEXT NOT NULL UNIQUE REFERENCES keys(key),
                filename TEXT NOT NULL,
                content_type TEXT NOT NULL,
                size BIGINT NOT NULL,
                part_size BIGINT NOT NULL,
                part_count BIGINT NOT NULL,
                sha256 TEXT,
                exam_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('in_progress', 'completed', 'aborted')),
                created_at DOUBLE PRECISION NOT NULL,
                completed_at DOUBLE PRECISION,
                aborted_at DOUBLE PRECISION,
                etag TEXT,
                receipt TEXT
            )""",
            "CREATE INDEX IF NOT EXISTS uploads_user ON uploads(user_id, seq)",
            """CREATE TABLE IF NOT EXISTS claims (
                name TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                claimed_at DOUBLE PRECISION NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS upload_tokens (
                user_id BIGINT NOT NULL REFERENCES users(id),
                client_token TEXT NOT NULL,
                upload_id TEXT NOT NULL REFERENCES uploads(upload_id),
                PRIMARY KEY (user_id, client_token)
            )""",
        ),
    ),
    Migration(
        2,
        "login failures get their own id (PostgreSQL has no rowid); the rows only live minutes",
        (
            "DROP TABLE login_failures",
            """CREATE TABLE login_failures (
                id {id},
                scope TEXT NOT NULL,
                at DOUBLE PRECISION NOT NULL
            )""",
            "CREATE INDEX login_failures_scope ON login_failures(scope, at)",
        ),
    ),
    Migration(
        3,
        "audits of stored objects against their signed receipts; uploads found by exam",
        (
            """CREATE TABLE audits (
                id {id},
                upload_id TEXT NOT NULL REFERENCES uploads(upload_id),
                audited_at DOUBLE PRECISION NOT NULL,
                result TEXT NOT NULL CHECK (result IN ('audited', 'MISMATCH')),
                size BIGINT,
                sha256 TEXT,
                detail TEXT NOT NULL
            )""",
            "CREATE INDEX audits_upload ON audits(upload_id, audited_at)",
            "CREATE INDEX uploads_exam ON uploads(exam_id, seq)",
        ),
    ),
    Migration(
        4,
        "the addresses each user signed in from, so guesses from elsewhere cannot lock it out",
        (
            """CREATE TABLE login_addresses (
                username TEXT NOT NULL,
                address TEXT NOT NULL,
                last_success_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (username, address)
            )""",
        ),
    ),
    Migration(
        5,
        "each upload's part checksum algorithm (NULL: the MD5 of earlier uploads), and every "
        "checksum a part URL was signed with",
        (
            "ALTER TABLE uploads ADD COLUMN checksum_algorithm TEXT",
            """CREATE TABLE signed_parts (
                upload_id TEXT NOT NULL REFERENCES uploads(upload_id),
                part_number BIGINT NOT NULL,
                checksum TEXT NOT NULL,
                size BIGINT,
                signed_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (upload_id, part_number, checksum)
            )""",
        ),
    ),
    Migration(
        6,
        "whether a part URL was signed with its Content-Length (0: any length; every URL signed "
        "before, or by an older instance during an upgrade, was)",
        ("ALTER TABLE signed_parts ADD COLUMN length_signed INTEGER NOT NULL DEFAULT 0",),
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version


def migrate(driver: Driver, where: str) -> None:
    """Bring the database up to `SCHEMA_VERSION`; every process may call it at once.

    Raises:
        SchemaTooNewError: A newer backend migrated this database (`where` names it).
    """
    with driver.transaction(locks=("schema",)) as tx:
        tx.run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = tx.one("SELECT MAX(version) AS version FROM schema_version")
        current = int(row["version"]) if row and row["version"] is not None else 0
        if current > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"Database {where} has schema {current}, newer than this backend "
                f"({SCHEMA_VERSION}); upgrade the backend."
            )
        for migration in MIGRATIONS:
            if migration.version <= current:
                continue
            for statement in migration.statements:
                tx.run(statement.replace("{id}", driver.dialect.identity))
            logger.info("Database schema %d: %s", migration.version, migration.why)
        if current == 0:
            tx.run("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        elif current < SCHEMA_VERSION:
            tx.run("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
