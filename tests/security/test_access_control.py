"""Only its owner may touch an upload; anyone else gets the 404 of an id that never existed."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import requests

from tests.security.client import ADMIN, ApiUser, Stack, error_code
from tests.support.storage import s3_client

pytestmark = pytest.mark.integration

PART = b"alice's recording bytes"

# Every operation that takes an upload id, with a body that would be valid for its owner.
BY_ID: list[tuple[str, str, Any]] = [
    ("GET", "/uploads/{id}", None),
    ("POST", "/uploads/{id}/parts", {"part_numbers": [1]}),
    ("GET", "/uploads/{id}/parts", None),
    ("POST", "/uploads/{id}/complete", {"parts": [{"part_number": 1, "etag": "x" * 32}]}),
    ("DELETE", "/uploads/{id}", None),
]


def test_the_table_covers_every_operation_that_takes_an_upload_id(stack: Stack) -> None:
    """A new endpoint with an upload id must be added to BY_ID (and so to the checks below)."""
    schema = requests.get(stack.backend.url + "/openapi.json", timeout=30).json()
    in_schema = {
        (method.upper(), path.removeprefix("/api/v1").replace("{upload_id}", "{id}"))
        for path, item in schema["paths"].items()
        if "{upload_id}" in path
        for method in item
    }
    assert in_schema == {(m, p) for m, p, _ in BY_ID}


def _alice_upload(alice: ApiUser) -> tuple[str, str]:
    created = alice.create(len(PART))
    assert created.status_code == 201, created.text
    upload_id = created.json()["upload_id"]
    return upload_id, alice.put_part(upload_id, 1, PART)


@pytest.mark.parametrize("intruder", ["bob", ADMIN])
def test_another_account_gets_404_on_every_operation_and_changes_nothing(
    stack: Stack, intruder: str
) -> None:
    alice, other = stack.user("alice"), stack.user(intruder)
    upload_id, etag = _alice_upload(alice)
    never = "up_" + "A" * 22
    for method, template, body in BY_ID:
        if body is not None and "etag" in str(body):
            body = {"parts": [{"part_number": 1, "etag": etag}]}  # even the right ETag
        theirs = other.call(method, template.format(id=upload_id), body)
        missing = other.call(method, template.format(id=never), body)
        assert theirs.status_code == 404, (method, template, theirs.text)
        assert error_code(theirs) == "not_found"
        # No oracle: another user's upload and a non-existent one look exactly alike.
        assert theirs.json() == missing.json(), (method, template)
    # Nothing the intruder did had an effect: the upload is intact and completes for alice.
    assert alice.call("GET", f"/uploads/{upload_id}").json()["status"] == "in_progress"
    parts = alice.call("GET", f"/uploads/{upload_id}/parts").json()["parts"]
    assert [(p["part_number"], p["etag"]) for p in parts] == [(1, etag)]
    done = alice.complete(upload_id, [(1, etag)])
    assert done.status_code == 200, done.text
    key = done.json()["key"]
    stored = s3_client(stack.endpoint).get_object(Bucket=stack.bucket, Key=key)["Body"].read()
    assert hashlib.sha256(stored).digest() == hashlib.sha256(PART).digest()


def test_a_completed_upload_stays_private_too(stack: Stack) -> None:
    alice, bob = stack.user("alice"), stack.user("bob")
    upload_id, etag = _alice_upload(alice)
    assert alice.complete(upload_id, [(1, etag)]).status_code == 200
    # Completing again is idempotent for alice (same receipt)...
    assert alice.complete(upload_id, [(1, etag)]).status_code == 200
    # ...but bob cannot fetch her receipt by replaying the completion.
    replay = bob.complete(upload_id, [(1, etag)])
    assert replay.status_code == 404
    assert "key" not in replay.text


def _listing(user: ApiUser, query: str = "") -> list[dict[str, Any]]:
    resp = user.call("GET", "/uploads" + query)
    assert resp.status_code == 200, resp.text
    uploads: list[dict[str, Any]] = resp.json()["uploads"]
    return uploads


def test_listings_show_only_your_own_uploads_unless_you_are_an_admin(stack: Stack) -> None:
    alice, bob, carol = stack.user("alice"), stack.user("bob"), stack.user(ADMIN)
    mine = {alice.create(10).json()["upload_id"], alice.create(20).json()["upload_id"]}
    his = {bob.create(30).json()["upload_id"]}
    assert {u["upload_id"] for u in _listing(alice)} == mine
    assert {u["upload_id"] for u in _listing(bob)} == his
    everyone = _listing(carol)
    assert {u["upload_id"] for u in everyone} == mine | his
    assert {u["owner"] for u in everyone} == {"alice", "bob"}
    # Query parameters that look like filters do not widen a user's view.
    for query in ("?owner=alice", "?user=alice", "?username=alice", "?all=true", "?admin=1"):
        assert {u["upload_id"] for u in _listing(bob, query)} == his, query
    assert {u["upload_id"] for u in _listing(bob, "?status=in_progress")} == his


def test_an_admin_cursor_does_not_open_other_users_pages(stack: Stack) -> None:
    alice, bob, carol = stack.user("alice"), stack.user("bob"), stack.user(ADMIN)
    for size in range(3):
        alice.create(size)
    bob_id = bob.create(99).json()["upload_id"]
    page = carol.call("GET", "/uploads?limit=1").json()
    assert page["next_cursor"]
    bob_page = bob.call("GET", f"/uploads?limit=50&cursor={page['next_cursor']}").json()
    assert {u["owner"] for u in bob_page["uploads"]} <= {"bob"}
    assert {u["upload_id"] for u in _listing(bob)} == {bob_id}


def test_every_protected_operation_needs_a_token(stack: Stack) -> None:
    schema = requests.get(stack.backend.url + "/openapi.json", timeout=30).json()
    # The receipt-signing keys are public by design: anyone must be able to verify a receipt.
    public = {
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/receipts/keys",
    }
    checked = 0
    for path, item in schema["paths"].items():
        if path in public or path.startswith("/api/v1/health"):
            continue
        for method in item:
            url = stack.backend.url + path.replace("{upload_id}", "up_whatever").replace(
                "{exam_id}", "EXAM-1"
            )
            for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Basic Ym9iOng="}):
                resp = requests.request(method, url, json={}, headers=headers, timeout=30)
                assert resp.status_code == 401, (method, path, headers, resp.status_code)
                assert resp.headers.get("WWW-Authenticate") == "Bearer"
            checked += 1
    assert checked >= 8  # uploads (7 operations), /me and the single-PUT URL at least
