"""Signed receipts: they verify with the published JWKS and plain PyJWT, none of our code."""

from __future__ import annotations

import hashlib
import io
import json
import stat
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from backend.cli import main
from backend.receipts.signing_keys import KEYS_FILE, SigningKeys
from tests.backend.helpers import Client
from tests.support.backend_server import RunningBackend
from tests.support.checksums import crc64nvme

pytestmark = pytest.mark.integration


def _complete(client: Client, data: bytes, **extra: Any) -> dict[str, Any]:
    upload = client.create(len(data), **extra)
    parts = client.put_parts(upload, data)
    body: dict[str, Any] = {"parts": parts}
    resp = client.post(f"/uploads/{upload['upload_id']}/complete", body)
    assert resp.status_code == 200, resp.text
    receipt: dict[str, Any] = resp.json()
    return receipt


def _verify_with_published_keys(backend: RunningBackend, token: str) -> dict[str, Any]:
    """What an outsider does: fetch the JWKS over HTTP, pick the key by `kid`, verify."""
    client = jwt.PyJWKClient(backend.api + "/receipts/keys", cache_keys=False)
    key = client.get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=["EdDSA"], options={"require": ["iss", "sub", "iat", "jti"]}
    )
    return claims


def test_receipt_verifies_with_the_published_key_alone(shared_backend: RunningBackend) -> None:
    alice = Client(shared_backend, "alice")
    data = b"exam evidence " * 100

    sha = hashlib.sha256(data).hexdigest()
    receipt = _complete(alice, data, sha256=sha)

    claims = _verify_with_published_keys(shared_backend, receipt["signed"])
    header = jwt.get_unverified_header(receipt["signed"])
    assert header["alg"] == "EdDSA"
    assert header["typ"] == "proctor-receipt+jwt"
    assert header["kid"] == shared_backend.services.signing_keys.current.kid
    assert claims == {
        "format": 1,
        "jti": receipt["receipt_id"],
        "iss": "proctor-backend",
        "sub": "alice",
        "iat": claims["iat"],
        "exam_id": "EXAM-1",
        "kind": "webcam",
        "bucket": shared_backend.settings.bucket,
        "key": receipt["key"],
        "size": len(data),
        "checksum": {"algorithm": "CRC64NVME", "value": crc64nvme(data)},
        "sha256": sha,
        "upload_id": receipt["upload_id"],
        "created_at": claims["created_at"],
        "completed_at": receipt["completed_at"],
    }
    listed = alice.get(f"/uploads/{receipt['upload_id']}").json()
    assert claims["created_at"] == listed["created_at"]
    assert claims["created_at"] <= claims["completed_at"]


def test_completing_again_returns_the_same_signed_receipt(shared_backend: RunningBackend) -> None:
    alice = Client(shared_backend, "alice")
    data = b"x" * 10
    upload = alice.create(len(data))
    parts = alice.put_parts(upload, data)
    first = alice.post(f"/uploads/{upload['upload_id']}/complete", {"parts": parts}).json()
    again = alice.post(f"/uploads/{upload['upload_id']}/complete", {"parts": parts}).json()
    assert again["signed"] == first["signed"]
    assert again["receipt_id"] == first["receipt_id"]
    # Kept by the backend with the upload.
    stored = shared_backend.services.db.get_upload(upload["upload_id"])
    assert stored is not None
    assert stored.receipt is not None
    assert stored.receipt["signed"] == first["signed"]


def test_a_tampered_receipt_fails_plain_verification(shared_backend: RunningBackend) -> None:
    receipt = _complete(Client(shared_backend, "bob"), b"y" * 10)
    header, payload, signature = receipt["signed"].split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["size"] += 1
    forged_payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        _verify_with_published_keys(shared_backend, f"{header}.{forged_payload}.{signature}")


def test_rotation_signs_with_the_new_key_and_old_receipts_still_verify(
    moto_backend: RunningBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    alice = Client(moto_backend, "alice")
    old = _complete(alice, b"before rotation")
    old_kid = jwt.get_unverified_header(old["signed"])["kid"]

    data_dir = ["--data-dir", str(moto_backend.settings.data_dir)]
    assert main(["receipts", "rotate", *data_dir]) == 0
    out, err = capsys.readouterr()
    rotated = json.loads(out)
    assert "New receipt signing key" in err

    new = _complete(alice, b"after rotation")
    new_kid = jwt.get_unverified_header(new["signed"])["kid"]
    assert new_kid != old_kid
    assert [k["kid"] for k in rotated["keys"]] == [new_kid, old_kid]

    published = requests.get(moto_backend.api + "/receipts/keys", timeout=10).json()
    assert published == rotated
    assert _verify_with_published_keys(moto_backend, old["signed"])["jti"] == old["receipt_id"]
    assert _verify_with_published_keys(moto_backend, new["signed"])["jti"] == new["receipt_id"]

    assert main(["receipts", "keys", *data_dir]) == 0
    assert json.loads(capsys.readouterr().out) == published


def test_the_key_file_is_private_and_kept_across_restarts(tmp_path: Path) -> None:
    first = SigningKeys(tmp_path)
    assert stat.S_IMODE((tmp_path / KEYS_FILE).stat().st_mode) == 0o600
    again = SigningKeys(tmp_path)
    assert again.current.kid == first.current.kid
    jwk = again.jwks()["keys"][0]
    assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}, "no private member published"


def test_a_damaged_key_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / KEYS_FILE).write_text('{"keys": [{"kid": "x"}]}')
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdin", io.StringIO(""))
        code = main(["receipts", "keys", "--data-dir", str(tmp_path)])
    assert code == 1
    assert f"receipt key file {tmp_path / KEYS_FILE} cannot be read" in capsys.readouterr().err


def test_rotations_at_once_keep_every_key(tmp_path: Path) -> None:
    import threading

    SigningKeys(tmp_path)
    made: list[str] = []
    start = threading.Barrier(4)

    def rotate() -> None:
        keys = SigningKeys(tmp_path)  # each as its own process would: its own view of the file
        start.wait()
        made.append(keys.rotate().kid)

    threads = [threading.Thread(target=rotate) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    published = {k["kid"] for k in SigningKeys(tmp_path).jwks()["keys"]}
    assert len(made) == 4
    assert set(made) <= published
    assert len(published) == 5
    assert not (tmp_path / (KEYS_FILE + ".lock")).exists()
