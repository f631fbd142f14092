"""A user only sees, signs, lists, completes or aborts their own uploads: anyone else's is a 404."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.backend.conftest import add_test_users
from tests.backend.helpers import Client, error_code
from tests.support.backend_server import RunningBackend


@pytest.fixture(scope="module")
def clients(shared_backend: RunningBackend) -> dict[str, Client]:
    add_test_users(shared_backend, "root", role="admin")
    return {name: Client(shared_backend, name) for name in ("alice", "bob", "root")}


def _calls(upload_id: str) -> list[tuple[str, str, Any]]:
    return [
        ("GET", f"/uploads/{upload_id}", None),
        ("POST", f"/uploads/{upload_id}/parts", {"part_numbers": [1]}),
        ("GET", f"/uploads/{upload_id}/parts", None),
        ("POST", f"/uploads/{upload_id}/complete", {"parts": [{"part_number": 1, "etag": "x"}]}),
        ("DELETE", f"/uploads/{upload_id}", None),
    ]


def _call(client: Client, method: str, path: str, body: Any) -> requests.Response:
    return client.session.request(method, client.api + path, json=body, timeout=30)


@pytest.mark.parametrize("index", range(5), ids=["get", "sign", "list", "complete", "abort"])
def test_another_users_upload_is_404_on_every_endpoint_and_stays_intact(
    clients: dict[str, Client], index: int
) -> None:
    alice, bob = clients["alice"], clients["bob"]
    created = alice.create(3, filename="mine.webm")
    method, path, body = _calls(created["upload_id"])[index]
    theirs = _call(bob, method, path, body)
    assert theirs.status_code == 404, theirs.text
    assert error_code(theirs) == "not_found"
    # Exactly what a made-up id gets: nothing tells bob that the id exists.
    method, fake_path, body = _calls("up_doesnotexist")[index]
    made_up = _call(bob, method, fake_path, body)
    assert made_up.status_code == 404
    assert made_up.json() == theirs.json()
    # Admins see everyone's uploads in listings, but do not act on them either.
    assert _call(clients["root"], method, path, body).status_code == 404
    # And alice's upload is untouched.
    assert alice.get(f"/uploads/{created['upload_id']}").json()["status"] == "in_progress"


def test_listing_shows_only_your_uploads_and_an_admin_sees_all(
    clients: dict[str, Client],
) -> None:
    a = clients["alice"].create(1, filename="a.webm")
    b = clients["bob"].create(1, filename="b.webm")
    alice_ids = {u["upload_id"] for u in clients["alice"].get("/uploads").json()["uploads"]}
    bob_ids = {u["upload_id"] for u in clients["bob"].get("/uploads").json()["uploads"]}
    root_ids = {u["upload_id"] for u in clients["root"].get("/uploads?limit=500").json()["uploads"]}
    assert a["upload_id"] in alice_ids
    assert a["upload_id"] not in bob_ids
    assert b["upload_id"] in bob_ids
    assert b["upload_id"] not in alice_ids
    assert {a["upload_id"], b["upload_id"]} <= root_ids
    assert clients["root"].get("/me").json() == {"username": "root", "role": "admin"}


def test_unauthenticated_calls_get_401_on_every_upload_endpoint(
    clients: dict[str, Client], shared_backend: RunningBackend
) -> None:
    created = clients["alice"].create(1)
    calls = [*_calls(created["upload_id"]), ("POST", "/uploads", {}), ("GET", "/uploads", None)]
    calls.append(("POST", "/files/presigned-url", {"fileName": "a.txt"}))
    for method, path, body in calls:
        resp = requests.request(method, shared_backend.api + path, json=body, timeout=30)
        assert resp.status_code == 401, (method, path, resp.text)
        assert error_code(resp) == "unauthorized"
