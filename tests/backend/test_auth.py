"""Sign-in, token rotation and revocation, throttling, and what a bad token gets."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import jwt
import pytest
import requests

from backend import security
from backend.db import open_database
from backend.errors import ApiError
from backend.security import TokenService
from backend.users import set_disabled, set_password
from tests.backend.conftest import PASSWORD, add_test_users
from tests.backend.helpers import error_code
from tests.support.backend_server import TEST_JWT_SECRET, RunningBackend, run_backend
from tests.support.storage import S3Endpoint, make_bucket


def _login(backend: RunningBackend, username: str, password: str) -> requests.Response:
    return requests.post(
        backend.api + "/auth/login", json={"username": username, "password": password}, timeout=30
    )


def _refresh(backend: RunningBackend, token: str) -> requests.Response:
    return requests.post(backend.api + "/auth/refresh", json={"refresh_token": token}, timeout=30)


def _me(backend: RunningBackend, access: str) -> requests.Response:
    return requests.get(
        backend.api + "/me", headers={"Authorization": f"Bearer {access}"}, timeout=30
    )


def test_login_returns_a_bearer_pair_that_identifies_the_user(moto_backend: RunningBackend) -> None:
    resp = _login(moto_backend, "alice", PASSWORD)
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["access_token"] != body["refresh_token"]
    me = _me(moto_backend, body["access_token"])
    assert me.status_code == 200
    assert me.json() == {"username": "alice", "role": "user"}
    access = jwt.decode(body["access_token"], options={"verify_signature": False})
    refresh = jwt.decode(body["refresh_token"], options={"verify_signature": False})
    assert access["exp"] - access["iat"] == 900
    assert refresh["exp"] - refresh["iat"] == 30 * 24 * 3600


def test_username_is_case_insensitive(moto_backend: RunningBackend) -> None:
    assert _login(moto_backend, "  ALICE ", PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong password"), ("nobody", PASSWORD), ("alice", PASSWORD.upper())],
)
def test_wrong_credentials_get_401_without_saying_which_part_was_wrong(
    moto_backend: RunningBackend, username: str, password: str
) -> None:
    resp = _login(moto_backend, username, password)
    assert resp.status_code == 401
    assert error_code(resp) == "invalid_credentials"
    assert resp.json()["error"]["message"] == (
        "Wrong username or password, or the account is disabled."
    )


def test_disabled_user_cannot_sign_in_and_loses_existing_tokens(
    moto_backend: RunningBackend,
) -> None:
    tokens = moto_backend.login("alice", PASSWORD)
    set_disabled(moto_backend.services.db, "alice", True)
    assert error_code(_login(moto_backend, "alice", PASSWORD)) == "invalid_credentials"
    assert _me(moto_backend, tokens["access_token"]).status_code == 401
    assert _refresh(moto_backend, tokens["refresh_token"]).status_code == 401
    set_disabled(moto_backend.services.db, "alice", False)
    assert _login(moto_backend, "alice", PASSWORD).status_code == 200


def test_password_change_revokes_refresh_tokens(moto_backend: RunningBackend) -> None:
    tokens = moto_backend.login("alice", PASSWORD)
    set_password(moto_backend.services.db, "alice", "a brand new password")
    assert error_code(_refresh(moto_backend, tokens["refresh_token"])) == "unauthorized"
    assert _login(moto_backend, "alice", PASSWORD).status_code == 401
    assert _login(moto_backend, "alice", "a brand new password").status_code == 200


def test_refresh_rotates_and_reuse_revokes_the_whole_family(moto_backend: RunningBackend) -> None:
    first = moto_backend.login("alice", PASSWORD)
    second = _refresh(moto_backend, first["refresh_token"])
    assert second.status_code == 200
    second_body = second.json()
    assert second_body["refresh_token"] != first["refresh_token"]
    assert _me(moto_backend, second_body["access_token"]).status_code == 200

    # The rotated token shows up again: a thief or a replay. The whole family dies, the newest too.
    reuse = _refresh(moto_backend, first["refresh_token"])
    assert reuse.status_code == 401
    assert error_code(reuse) == "unauthorized"
    assert "already used" in reuse.json()["error"]["message"]
    assert _refresh(moto_backend, second_body["refresh_token"]).status_code == 401

    # Other sign-ins of the same user are separate families and keep working.
    other = moto_backend.login("alice", PASSWORD)
    assert _refresh(moto_backend, other["refresh_token"]).status_code == 200


def test_logout_revokes_the_refresh_token_and_is_idempotent(moto_backend: RunningBackend) -> None:
    tokens = moto_backend.login("alice", PASSWORD)
    url = moto_backend.api + "/auth/logout"
    first = requests.post(url, json={"refresh_token": tokens["refresh_token"]}, timeout=30)
    assert first.status_code == 204
    assert first.content == b""
    assert _refresh(moto_backend, tokens["refresh_token"]).status_code == 401
    again = requests.post(url, json={"refresh_token": tokens["refresh_token"]}, timeout=30)
    assert again.status_code == 204
    garbage = requests.post(url, json={"refresh_token": "not-a-token"}, timeout=30)
    assert garbage.status_code == 401
    assert error_code(garbage) == "unauthorized"


def test_an_access_token_already_checked_ends_at_once_on_logout_or_disable(
    moto_backend: RunningBackend,
) -> None:
    # Each token is checked once and remembered: a session ending must still end it at once.
    first = moto_backend.login("alice", PASSWORD)
    assert _me(moto_backend, first["access_token"]).status_code == 200
    logout = requests.post(
        moto_backend.api + "/auth/logout",
        json={"refresh_token": first["refresh_token"]},
        timeout=30,
    )
    assert logout.status_code == 204
    ended = _me(moto_backend, first["access_token"])
    assert ended.status_code == 401
    assert "sign-in has ended" in ended.json()["error"]["message"]

    second = moto_backend.login("alice", PASSWORD)
    assert _me(moto_backend, second["access_token"]).status_code == 200
    set_disabled(moto_backend.services.db, "alice", True)
    try:
        assert _me(moto_backend, second["access_token"]).status_code == 401
    finally:
        set_disabled(moto_backend.services.db, "alice", False)


def test_an_access_token_already_checked_is_refused_once_it_expires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_database(tmp_path / "b.sqlite3")
    try:
        user = db.add_user("alice", "not a real hash", "user")
        tokens = TokenService(db, TEST_JWT_SECRET, access_ttl=60, refresh_ttl=3600)
        pair = tokens.issue(user)
        assert tokens.authenticate(pair.access_token).username == "alice"
        assert tokens.authenticate(pair.access_token).username == "alice"  # the remembered check
        later = time.time() + 61
        monkeypatch.setattr(security, "time", SimpleNamespace(time=lambda: later))
        with pytest.raises(ApiError) as refused:
            tokens.authenticate(pair.access_token)
        assert refused.value.status == 401
        assert "expired" in refused.value.message
    finally:
        db.close()


def test_remembered_tokens_are_bounded_and_the_forgotten_still_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(security, "VERIFIED_TOKENS_KEPT", 2)
    db = open_database(tmp_path / "b.sqlite3")
    try:
        user = db.add_user("alice", "not a real hash", "user")
        tokens = TokenService(db, TEST_JWT_SECRET, access_ttl=60, refresh_ttl=3600)
        access = [tokens.issue(user).access_token for _ in range(3)]
        for token in access + access:
            assert tokens.authenticate(token).user_id == user.id
        assert len(tokens._verified) == 2
    finally:
        db.close()


def _forged(claims: dict[str, object], secret: str = TEST_JWT_SECRET) -> str:
    now = int(time.time())
    payload = {"sub": "alice", "uid": 1, "typ": "access", "iat": now, "exp": now + 600, **claims}
    return jwt.encode(payload, secret, algorithm="HS256")


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (None, "no header"),
        ("Bearer", "empty bearer"),
        ("Basic YWxpY2U6cGFzcw==", "wrong scheme"),
        ("Bearer not-a-jwt", "garbage"),
        ("Bearer " + _forged({}, secret="another-secret-" + "y" * 32), "wrong signature"),
        ("Bearer " + _forged({"exp": int(time.time()) - 10}), "expired"),
        ("Bearer " + _forged({"typ": "refresh"}), "refresh token used as access token"),
        ("Bearer " + _forged({"uid": 999}), "unknown user"),
        ("Bearer " + _forged({"sub": "bob"}), "name does not match the id"),
        (
            "Bearer " + jwt.encode({"sub": "alice", "uid": 1, "typ": "access"}, "k" * 40),
            "no expiry",
        ),
    ],
)
def test_bad_access_tokens_get_401(
    moto_backend: RunningBackend, header: str | None, why: str
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    resp = requests.get(moto_backend.api + "/me", headers=headers, timeout=30)
    assert resp.status_code == 401, why
    assert error_code(resp) == "unauthorized", why
    assert resp.headers["WWW-Authenticate"] == "Bearer"


def test_a_valid_forged_shape_with_the_right_secret_is_accepted(
    moto_backend: RunningBackend,
) -> None:
    # The control for the table above: only the named defect makes those tokens fail.
    resp = requests.get(
        moto_backend.api + "/me", headers={"Authorization": "Bearer " + _forged({})}, timeout=30
    )
    assert resp.status_code == 200


def test_access_token_cannot_be_used_to_refresh(moto_backend: RunningBackend) -> None:
    tokens = moto_backend.login("alice", PASSWORD)
    assert error_code(_refresh(moto_backend, tokens["access_token"])) == "unauthorized"


@pytest.fixture
def throttled_backend(moto_endpoint: S3Endpoint, tmp_path: Path) -> Iterator[RunningBackend]:
    with run_backend(
        moto_endpoint,
        bucket=make_bucket(moto_endpoint),
        data_dir=tmp_path / "b",
        login_max_failures=3,
        login_max_failures_per_address=5,
    ) as running:
        add_test_users(running, "alice", "bob")
        yield running


def test_repeated_failures_for_one_user_get_429_even_with_the_right_password(
    throttled_backend: RunningBackend,
) -> None:
    for _ in range(3):
        assert _login(throttled_backend, "alice", "nope").status_code == 401
    blocked = _login(throttled_backend, "alice", PASSWORD)
    assert blocked.status_code == 429
    assert error_code(blocked) == "too_many_attempts"
    assert int(blocked.headers["Retry-After"]) >= 1
    # Another user from the same address is still under the address limit.
    assert _login(throttled_backend, "bob", PASSWORD).status_code == 200


def test_repeated_failures_from_one_address_get_429_for_every_user(
    throttled_backend: RunningBackend,
) -> None:
    for name in ("u1", "u2", "u3", "u4", "u5"):
        assert _login(throttled_backend, name, "nope").status_code == 401
    blocked = _login(throttled_backend, "bob", PASSWORD)
    assert blocked.status_code == 429
    assert error_code(blocked) == "too_many_attempts"


def test_success_resets_the_user_count(throttled_backend: RunningBackend) -> None:
    for _ in range(2):
        _login(throttled_backend, "alice", "nope")
    assert _login(throttled_backend, "alice", PASSWORD).status_code == 200
    for _ in range(2):
        _login(throttled_backend, "alice", "nope")
    assert _login(throttled_backend, "alice", PASSWORD).status_code == 200
