"""Idempotent create: a client token returns the same upload to its owner, and only to its owner.

Found by the chaos soak: a CLI killed (or a connection dropped) after POST /uploads reached the
backend but before the answer was saved left a multipart upload open forever, and the retry made
a second one. With the job's token, the retry gets the first upload back.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.security.client import ApiUser, Stack, error_code
from tests.support.faultproxy import FaultProxy, Rule, reset_after

pytestmark = pytest.mark.integration

TOKEN = "job-0123456789abcdef"


def _body(size: int = 10, token: str | None = TOKEN, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "filename": "webcam.webm",
        "size": size,
        "content_type": "video/webm",
        "metadata": {"exam_id": "EXAM-1", "kind": "webcam"},
        **extra,
    }
    if token is not None:
        body["client_token"] = token
    return body


def _create(user: ApiUser, body: dict[str, Any]) -> dict[str, Any]:
    resp = user.call("POST", "/uploads", body)
    assert resp.status_code == 201, resp.text
    created: dict[str, Any] = resp.json()
    return created


def test_the_same_token_returns_the_same_upload(stack: Stack) -> None:
    alice = stack.user("alice")
    first, again = _create(alice, _body()), _create(alice, _body())
    assert again == first
    assert len(stack.open_uploads()) == 1
    other = _create(alice, _body(token="job-fedcba9876543210"))
    assert other["upload_id"] != first["upload_id"]
    untokened = [_create(alice, _body(token=None)) for _ in range(2)]
    assert untokened[0]["upload_id"] != untokened[1]["upload_id"]  # no token: a new one each time


def test_another_user_with_the_same_token_gets_their_own_upload(stack: Stack) -> None:
    alice, bob = stack.user("alice"), stack.user("bob")
    hers = _create(alice, _body())
    his = _create(bob, _body())
    assert his["upload_id"] != hers["upload_id"]
    assert "/bob/" in his["key"]
    assert bob.call("GET", f"/uploads/{hers['upload_id']}").status_code == 404


def test_a_token_reused_for_another_file_is_refused(stack: Stack) -> None:
    alice = stack.user("alice")
    _create(alice, _body(size=10))
    clash = alice.call("POST", "/uploads", _body(size=11))
    assert clash.status_code == 409
    assert error_code(clash) == "conflict"
    assert len(stack.open_uploads()) == 1


def test_after_an_abort_the_token_starts_a_new_upload(stack: Stack) -> None:
    alice = stack.user("alice")
    first = _create(alice, _body())
    assert alice.call("DELETE", f"/uploads/{first['upload_id']}").status_code == 204
    second = _create(alice, _body())
    assert second["upload_id"] != first["upload_id"]
    assert len(stack.open_uploads()) == 1


@pytest.mark.parametrize("malformed", ["short", "x" * 65, "has space!", "../../etc", ""])
def test_malformed_tokens_get_422(stack: Stack, malformed: str) -> None:
    resp = stack.user("alice").call("POST", "/uploads", _body(token=malformed))
    assert resp.status_code == 422
    assert stack.open_uploads() == []


def test_a_lost_answer_then_a_retry_leaves_one_upload(stack: Stack) -> None:
    alice = stack.user("alice")
    with FaultProxy(upstream=stack.backend.url) as proxy:
        # The request reaches the backend, which creates the upload; the answer never arrives.
        proxy.add_rule(Rule(method="POST", path=r"/uploads$", action=reset_after(10**6), times=1))
        url = proxy.url + "/api/v1/uploads"
        headers = {"Authorization": f"Bearer {alice.access}"}
        with pytest.raises(requests.ConnectionError):
            requests.post(url, json=_body(), headers=headers, timeout=30)
        retry = requests.post(url, json=_body(), headers=headers, timeout=30)
    assert retry.status_code == 201, retry.text
    listing = alice.call("GET", "/uploads").json()["uploads"]
    assert [u["upload_id"] for u in listing] == [retry.json()["upload_id"]]
    assert len(stack.open_uploads()) == 1
