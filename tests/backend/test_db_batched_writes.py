"""Writes sent together (a completion and the end of its claim) are one transaction on both
databases, and values reach the database unchanged whichever side binds them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.db import ConstraintError, Database, SignedParts, UploadRecord, open_database
from backend.db.driver import Driver
from backend.db.postgres import PostgresDriver
from backend.db.sqlite import SQLiteDriver
from tests.support.postgres import PostgresServer


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each kind in turn."""
    if request.param == "sqlite":
        where = str(tmp_path / "b.sqlite3")
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        where = server.create_database()
    open_database(where).close()  # migrated
    return where


@pytest.fixture
def db(target: str) -> Iterator[Database]:
    database = open_database(target, pool_size=2)
    yield database
    database.close()


@pytest.fixture
def driver(target: str) -> Iterator[Driver]:
    raw: Driver = (
        PostgresDriver(target, pool_size=1)
        if target.startswith("postgresql")
        else SQLiteDriver(target)
    )
    yield raw
    raw.close()


def _upload(db: Database, client_token: str | None = None) -> UploadRecord:
    user = db.add_user("ann", "h", "user")
    assert db.reserve_key("k/1", user.id, "multipart")
    return db.insert_upload(
        UploadRecord(
            seq=0, upload_id="up_1", s3_upload_id="s3-1", user_id=user.id, username="ann",
            key="k/1", filename="f.webm", content_type="video/webm", size=4, part_size=4,
            part_count=1, sha256=None, exam_id="E1", kind="webcam", status="in_progress",
            created_at=1.0, completed_at=None, aborted_at=None, etag=None, receipt=None,
        ),
        client_token=client_token,
    )  # fmt: skip


def test_an_upload_and_its_client_token_are_written_together_with_its_seq(db: Database) -> None:
    created = _upload(db, client_token="job-1")
    assert created.seq >= 1  # the insert's RETURNING, read back through the batch
    stored = db.get_upload("up_1")
    by_token = db.upload_for_token(created.user_id, "job-1")
    assert stored is not None
    assert by_token == stored == created


def test_a_completion_and_the_end_of_its_claim_are_written_together(db: Database) -> None:
    _upload(db)
    assert db.claim("up_1", "worker-a", now=10.0, stale_before=0.0)
    # Quotes, backslashes, a percent sign, a semicolon and non-ASCII: what a client-side binding
    # must quote, not pass through.
    receipt = {"filename": "it's 100%; \\ DROP TABLE uploads; -- ü 試験", "n": 1.25}
    db.mark_completed(
        "up_1", "etag-'1'", 1733529600.1234567, receipt, size=4, part_count=1,
        release=("up_1", "worker-a"),
    )  # fmt: skip
    rec = db.get_upload("up_1")
    assert rec is not None
    assert (rec.status, rec.etag, rec.completed_at, rec.receipt) == (
        "completed", "etag-'1'", 1733529600.1234567, receipt,
    )  # fmt: skip
    # The claim is gone: another worker takes it at once, not after it goes stale.
    assert db.claim("up_1", "worker-b", now=11.0, stale_before=0.0)


def test_writes_sent_together_are_all_undone_when_one_fails(db: Database, driver: Driver) -> None:
    _upload(db)
    with pytest.raises(ConstraintError):
        driver.write_all(
            [
                ("UPDATE uploads SET status = 'aborted' WHERE upload_id = ?", ("up_1",)),
                ("INSERT INTO claims (name, owner, claimed_at) VALUES (?, NULL, ?)", ("c", 1.0)),
            ]
        )
    rec = db.get_upload("up_1")
    assert rec is not None
    assert rec.status == "in_progress"
    # The connection is usable after the failure (on PostgreSQL: no transaction left open).
    driver.write_all([("UPDATE uploads SET status = 'aborted' WHERE upload_id = ?", ("up_1",))])
    rec = db.get_upload("up_1")
    assert rec is not None
    assert rec.status == "aborted"


def test_pruning_forgets_expired_refresh_tokens_and_their_emptied_families(db: Database) -> None:
    user = db.add_user("ann", "h", "user")
    db.add_refresh_token(jti="old", family_id="f-old", user_id=user.id, issued_at=1, expires_at=5)
    db.add_refresh_token(jti="a", family_id="f-mixed", user_id=user.id, issued_at=1, expires_at=5)
    db.add_refresh_token(jti="b", family_id="f-mixed", user_id=user.id, issued_at=2, expires_at=50)
    db.prune_tokens(now=10.0)
    assert not db.family_active("f-old")  # gone with its only token
    assert db.family_active("f-mixed")  # it still holds a live token
    assert db.use_refresh_token("a", "f-mixed", now=10.0) == "unknown"
    assert db.use_refresh_token("b", "f-mixed", now=10.0) == "ok"


def _record(user_id: int, upload_id: str, key: str) -> UploadRecord:
    return UploadRecord(
        seq=0, upload_id=upload_id, s3_upload_id="s3-" + upload_id, user_id=user_id,
        username="ann", key=key, filename="f.webm", content_type="video/webm", size=4,
        part_size=4, part_count=1, sha256=None, exam_id="E1", kind="webcam",
        status="in_progress", created_at=1.0, completed_at=None, aborted_at=None, etag=None,
        receipt=None,
    )  # fmt: skip


def test_an_upload_takes_its_key_in_the_write_that_records_it(db: Database) -> None:
    user = db.add_user("ann", "h", "user")
    rec = db.insert_upload_taking_key(_record(user.id, "up_1", "k/1"), client_token="job-1")
    assert rec is not None
    assert rec.seq > 0
    assert db.upload_for_token(user.id, "job-1") == rec
    # The key is held for good now: neither a reservation nor another upload gets it.
    assert not db.reserve_key("k/1", user.id, "single")
    assert (
        db.insert_upload_taking_key(_record(user.id, "up_2", "k/1"), client_token="job-2") is None
    )
    # The refused write left nothing: no upload, and the token still names the first upload.
    assert db.get_upload("up_2") is None
    assert db.upload_for_token(user.id, "job-2") is None
    # A key reserved without an upload (a single PUT's) is taken as well.
    assert db.reserve_key("k/2", user.id, "single")
    assert db.insert_upload_taking_key(_record(user.id, "up_3", "k/2")) is None
    assert db.get_upload("up_3") is None


def test_a_refused_upload_write_that_is_not_about_the_key_is_not_mistaken_for_one(
    db: Database,
) -> None:
    # An unknown user breaks the upload's foreign key, not the key's uniqueness: that must
    # surface, not send the create on to the next key name.
    with pytest.raises(ConstraintError):
        db.insert_upload_taking_key(_record(999, "up_1", "k/1"))
    # And it was undone whole: the key is still free.
    assert db.get_upload("up_1") is None
    user = db.add_user("ann", "h", "user")
    assert db.reserve_key("k/1", user.id, "multipart")


def test_an_upload_is_claimed_and_read_with_its_signed_checksums_together(db: Database) -> None:
    rec = _upload(db)
    db.record_signed_parts("up_1", [(1, "AAAA", 4), (1, "BBBB", 4), (2, "CCCC", None)])
    signed = {1: {"AAAA", "BBBB"}, 2: {"CCCC"}}
    assert db.claim_upload("up_1", "worker-a", now=10.0, stale_before=0.0) == (
        True,
        rec,
        SignedParts(signed, lengths_signed=False),
    )
    assert db.signed_checksums("up_1") == signed
    # Held: another worker does not get it, and what it read is of no use to it.
    assert db.claim_upload("up_1", "worker-b", now=11.0, stale_before=0.0)[0] is False
    # A holder that died (its claim older than `stale_before`) is taken over.
    assert db.claim_upload("up_1", "worker-b", now=99.0, stale_before=50.0)[0] is True
    db.release("up_1", "worker-b")
    # An id with no upload: claimed (and released by the caller), nothing read.
    assert db.claim_upload("up_missing", "worker-a", now=12.0, stale_before=0.0) == (
        True,
        None,
        SignedParts({}, lengths_signed=True),
    )


def test_sizes_count_as_signed_only_while_every_url_of_the_upload_carried_one(
    db: Database,
) -> None:
    _upload(db)

    def lengths_signed() -> bool:
        taken, _, signed = db.claim_upload("up_1", "worker-a", now=10.0, stale_before=0.0)
        assert taken
        db.release("up_1", "worker-a")
        return signed.lengths_signed

    db.record_signed_parts("up_1", [(1, "AAAA", 4), (2, "CCCC", 2)], lengths_signed=True)
    assert lengths_signed()
    # The same URLs again: still every one with its size.
    db.record_signed_parts("up_1", [(1, "AAAA", 4)], lengths_signed=True)
    assert lengths_signed()
    # Part 2 with the same checksum once without its size (as an older backend signed them):
    # that URL admits any size, and no later signing with a size makes it go away.
    db.record_signed_parts("up_1", [(2, "CCCC", 2)], lengths_signed=False)
    assert not lengths_signed()
    db.record_signed_parts("up_1", [(2, "CCCC", 2)], lengths_signed=True)
    assert not lengths_signed()
    assert db.signed_checksums("up_1") == {1: {"AAAA"}, 2: {"CCCC"}}
