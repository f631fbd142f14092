"""Attacks on access and refresh tokens: each ends in 401; a revoked sign-in stays revoked."""

from __future__ import annotations

import base64
import json
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jwt
import pytest
import requests

from tests.security.client import ADMIN, Stack, error_code
from tests.security.conftest import start_stack
from tests.support.backend_server import TEST_JWT_SECRET
from tests.support.storage import S3Endpoint

pytestmark = pytest.mark.integration


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _claims(token: str) -> dict[str, object]:
    claims: dict[str, object] = json.loads(_unb64(token.split(".")[1]))
    return claims


def _retoken(token: str, *, header: dict[str, object] | None = None, **changes: object) -> str:
    """The token with its header and/or claims changed, keeping the original signature."""
    head, _, signature = token.split(".")
    new_head = _b64(json.dumps(header).encode()) if header is not None else head
    claims = {**_claims(token), **changes}
    return f"{new_head}.{_b64(json.dumps(claims).encode())}.{signature}"


def _unsigned(token: str, alg: str, *, keep_signature: bool = False) -> str:
    head = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body, signature = token.split(".")[1:]
    return f"{head}.{body}.{signature if keep_signature else ''}"


def _me(stack: Stack, token: str) -> requests.Response:
    return requests.get(
        stack.backend.api + "/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def _refresh(stack: Stack, token: str) -> requests.Response:
    return requests.post(
        stack.backend.api + "/auth/refresh", json={"refresh_token": token}, timeout=30
    )


def _logout(stack: Stack, token: str) -> requests.Response:
    return requests.post(
        stack.backend.api + "/auth/logout", json={"refresh_token": token}, timeout=30
    )


def _forgeries(token: str, bob_uid: int) -> dict[str, str]:
    claims = _claims(token)
    with warnings.catch_warnings():
        # PyJWT warns that the 48-byte test secret is short for HS384/HS512: that is the point.
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        hs512 = jwt.encode(claims, TEST_JWT_SECRET, "HS512")
        hs384 = jwt.encode(claims, TEST_JWT_SECRET, "HS384")
    return {
        "uid switched to bob": _retoken(token, uid=bob_uid, sub="bob"),
        "role raised to admin": _retoken(token, role="admin"),
        "expiry pushed out": _retoken(token, exp=int(time.time()) + 10**8),
        "alg none": _unsigned(token, "none"),
        "alg None": _unsigned(token, "None"),
        "alg NONE, signature kept": _unsigned(token, "NONE", keep_signature=True),
        "alg HS512 header on an HS256 signature": _retoken(token, header={"alg": "HS512"}),
        "signed with another key": jwt.encode(claims, "not-the-secret-" + "z" * 32, "HS256"),
        "right key, HS512": hs512,
        "right key, HS384": hs384,
        "signature stripped": token.rsplit(".", 1)[0] + ".",
        "truncated": token[:-5],
        "two tokens glued": token + token,
    }


def test_forged_access_tokens_get_401(stack: Stack) -> None:
    alice = stack.user("alice")
    bob_uid = _claims(stack.user("bob").access)["uid"]
    assert isinstance(bob_uid, int)
    assert _me(stack, alice.access).status_code == 200  # the control
    for why, token in _forgeries(alice.access, bob_uid).items():
        resp = _me(stack, token)
        assert resp.status_code == 401, why
        assert error_code(resp) == "unauthorized", why
        listing = requests.get(
            stack.backend.api + "/uploads", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert listing.status_code == 401, why


def test_forged_refresh_tokens_get_401_and_mint_nothing(stack: Stack) -> None:
    alice = stack.user("alice")
    bob_uid = _claims(stack.user("bob").refresh)["uid"]
    assert isinstance(bob_uid, int)
    for why, token in _forgeries(alice.refresh, bob_uid).items():
        resp = _refresh(stack, token)
        assert resp.status_code == 401, why
        assert "access_token" not in resp.text
    assert (
        _refresh(stack, alice.access).status_code == 401
    )  # an access token is not a refresh token
    assert _refresh(stack, alice.refresh).status_code == 200  # and the genuine one still works


def test_the_role_claim_is_not_trusted(stack: Stack) -> None:
    """Even a correctly signed token claiming admin gets the account's real role (database)."""
    alice, bob = stack.user("alice"), stack.user("bob")
    bob.create(5)
    mine = alice.create(7).json()["upload_id"]
    claims = {**_claims(alice.access), "role": "admin"}
    forged = jwt.encode(claims, TEST_JWT_SECRET, "HS256")
    assert _me(stack, forged).json()["role"] == "user"
    listing = requests.get(
        stack.backend.api + "/uploads", headers={"Authorization": f"Bearer {forged}"}, timeout=30
    ).json()
    assert [u["upload_id"] for u in listing["uploads"]] == [mine]
    assert _me(stack, stack.user(ADMIN).access).json()["role"] == "admin"


@pytest.fixture
def short_lived(moto_endpoint: S3Endpoint, tmp_path: Path) -> Iterator[Stack]:
    """Access tokens of 1 s, refresh tokens of 6 s (room for a loaded machine's slow sign-in)."""
    yield from start_stack(
        moto_endpoint,
        tmp_path / "b",
        access_token_ttl_seconds=1,
        refresh_token_ttl_seconds=6,
    )


def test_expired_tokens_get_401(short_lived: Stack) -> None:
    alice = short_lived.user("alice")
    assert _me(short_lived, alice.access).status_code == 200
    time.sleep(2.1)  # past the 1 s lifetime (exp is whole seconds)
    expired = _me(short_lived, alice.access)
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]["message"]
    renewed = _refresh(short_lived, alice.refresh)
    assert renewed.status_code == 200
    assert _me(short_lived, renewed.json()["access_token"]).status_code == 200
    time.sleep(6.1)  # past the refresh token's lifetime
    assert _refresh(short_lived, renewed.json()["refresh_token"]).status_code == 401


def test_refresh_reuse_revokes_the_whole_family_but_no_other_session(stack: Stack) -> None:
    phone, laptop = stack.user("alice"), stack.user("alice")  # two sign-ins, two families
    first = _refresh(stack, phone.refresh)
    assert first.status_code == 200
    second = first.json()
    stolen_replay = _refresh(stack, phone.refresh)
    assert stolen_replay.status_code == 401
    assert "revoked" in stolen_replay.json()["error"]["message"]
    assert _refresh(stack, second["refresh_token"]).status_code == 401  # the family is gone
    assert _me(stack, second["access_token"]).status_code == 401  # access tokens too
    assert _refresh(stack, laptop.refresh).status_code == 200  # the other sign-in is untouched


def test_concurrent_refreshes_of_one_token_mint_at_most_one_pair(stack: Stack) -> None:
    alice = stack.user("alice")
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: _refresh(stack, alice.refresh), range(6)))
    winners = [r for r in results if r.status_code == 200]
    assert len(winners) <= 1
    assert all(r.status_code in (200, 401) for r in results)


def test_logout_then_reuse_gets_401_for_the_whole_sign_in(stack: Stack) -> None:
    alice, other = stack.user("alice"), stack.user("alice")
    rotated = _refresh(stack, alice.refresh).json()
    assert _logout(stack, rotated["refresh_token"]).status_code == 204
    assert _refresh(stack, rotated["refresh_token"]).status_code == 401
    assert _refresh(stack, alice.refresh).status_code == 401
    # Signing out ends the session's access tokens as well, not only when they expire.
    assert _me(stack, rotated["access_token"]).status_code == 401
    assert _me(stack, alice.access).status_code == 401
    assert _me(stack, other.access).status_code == 200
    assert _refresh(stack, other.refresh).status_code == 200
