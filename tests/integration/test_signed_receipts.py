"""Signed receipts on the client: stored with the local receipt, exported, verified offline with
`proctor-uploader receipts verify`, and the server's keys pinned at sign-in (trust on first use)."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import requests

from backend.cli import main as backend_cli
from backend.receipts.signing_keys import KEYS_FILE
from desktop.__main__ import main as cli_main
from desktop.config import AppConfig, AppPaths
from desktop.engine import receipts as receipt_export
from desktop.engine.receipt import Receipt
from tests.integration.conftest import Stack, write_file

pytestmark = pytest.mark.integration


def _upload(stack: Stack, path: Path, size: int = 1000) -> Receipt:
    write_file(path, size)
    # The app's own queue database, so `receipts --json` exports what the engine stored.
    q, _ = stack.queue(db=AppPaths.default().state_db)
    q.add(path, exam_id="EXAM-7", kind="screen")
    assert q.wait_idle(60)
    (receipt,) = [r for r in q.receipts() if r.path == str(path)]
    return receipt


def _export(receipts: list[Receipt], path: Path) -> Path:
    return receipt_export.export(receipts, path, fmt="json")


def _jwks_file(stack: Stack, path: Path) -> Path:
    path.write_text(requests.get(stack.backend.api + "/receipts/keys", timeout=10).text)
    return path


def _verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = cli_main(["receipts", "verify", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out.splitlines()


def _login(capsys: pytest.CaptureFixture[str], stack: Stack) -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as mp:
        import io

        mp.setattr("sys.stdin", io.StringIO(stack.password + "\n"))
        code = cli_main(
            ["login", "--server", stack.server_url, "--username", stack.username,
             "--password-stdin"]
        )  # fmt: skip
    out, err = capsys.readouterr()
    return code, out, err


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unb64(part: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return loaded


@pytest.mark.usefixtures("use_secret_service")
def test_export_carries_the_signed_receipt_and_it_verifies_offline(
    stack: Stack, tmp_path: Path, app_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _login(capsys, stack)
    assert code == 0
    assert f"Trusting the receipt-signing keys of {stack.server_url}" in out
    recording = tmp_path / "exam.mp4"
    receipt = _upload(stack, recording)
    assert receipt.signed.count(".") == 2

    # The CLI's own export, as a proctor runs it.
    export = tmp_path / "receipts.json"
    assert cli_main(["receipts", "--json", str(export)]) == 0
    capsys.readouterr()
    (exported,) = json.loads(export.read_text())
    assert exported["signed"] == receipt.signed

    # Offline: the server is unreachable, the keys pinned at sign-in suffice.
    stack.backend_proxy.network_down(refuse=True)
    code, lines = _verify(capsys, str(export), "--file", str(recording))
    assert code == 0, lines
    assert lines == [f"OK    exam.mp4: signature, claims and file hold (signed by proctor-backend, "
                     f"key {stack.backend.services.signing_keys.current.kid})"]  # fmt: skip

    # The recording changed since: the re-hash says so.
    with recording.open("r+b") as f:
        f.write(b"X")
    code, lines = _verify(capsys, str(export), "--file", str(recording))
    assert code == 1
    assert "has SHA-256" in lines[0], lines


CLAIMS = ["jti", "iss", "sub", "iat", "exam_id", "kind", "bucket", "key", "size", "checksum",
          "sha256", "upload_id", "created_at", "completed_at", "format"]  # fmt: skip


def _changed(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return "x"
    if isinstance(value, int):
        return value + 1
    if isinstance(value, dict):
        return {**value, "value": "AAAA"}
    return value + "x"


def test_changing_any_claim_the_signature_or_the_kid_fails_verification(
    stack: Stack, tmp_path: Path, app_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    receipt = _upload(stack, tmp_path / "a.webm")
    keys_before_rotation = _jwks_file(stack, tmp_path / "old-keys.json")
    assert (
        backend_cli(["receipts", "rotate", "--data-dir", str(stack.backend.settings.data_dir)]) == 0
    )
    keys = _jwks_file(stack, tmp_path / "keys.json")
    capsys.readouterr()
    header, payload, signature = receipt.signed.split(".")
    claims = _unb64(payload)
    assert sorted(claims) == sorted(CLAIMS)

    def check(name: str, signed: str, expected: str) -> None:
        path = _export([dataclasses.replace(receipt, signed=signed)], tmp_path / f"{name}.json")
        code, lines = _verify(capsys, str(path), "--keys", str(keys))
        assert code == 1, (name, lines)
        assert len(lines) == 1
        assert lines[0].startswith("FAIL  a.webm: "), lines
        assert expected in lines[0], (name, lines)

    code, lines = _verify(
        capsys, str(_export([receipt], tmp_path / "good.json")), "--keys", str(keys)
    )
    assert code == 0, lines
    for name in CLAIMS:
        forged = _b64({**claims, name: _changed(claims[name])})
        check(name, f"{header}.{forged}.{signature}", "signature does not hold")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    check("signature", f"{header}.{payload}.{flipped}", "signature does not hold")
    new_kid = json.loads(keys.read_text())["keys"][0]["kid"]
    other_kid = _b64({**_unb64(header), "kid": new_kid})
    check("kid", f"{other_kid}.{payload}.{signature}", "signature does not hold")
    unknown = _b64({**_unb64(header), "kid": "not-a-published-key"})
    check("unknown kid", f"{unknown}.{payload}.{signature}", "not among the trusted keys")
    # The local copy must agree with what was signed.
    path = _export([dataclasses.replace(receipt, size=receipt.size + 1)], tmp_path / "l.json")
    code, lines = _verify(capsys, str(path), "--keys", str(keys))
    assert code == 1
    assert "size is 1001 here but 1000 in the signed receipt" in lines[0]
    # Old receipts still verify after the rotation, with the old and with the new key set.
    good = _export([receipt], tmp_path / "good.json")
    for key_set in (keys_before_rotation, keys):
        code, lines = _verify(capsys, str(good), "--keys", str(key_set))
        assert code == 0, lines


@pytest.mark.usefixtures("use_secret_service")
def test_a_changed_server_key_is_reported_and_not_trusted_silently(
    stack: Stack, tmp_path: Path, app_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _login(capsys, stack)[0] == 0
    paths = AppPaths.default()
    pinned_first = json.loads((paths.data_dir / "server-keys.json").read_text())
    data_dir = str(stack.backend.settings.data_dir)

    # A rotation adds a key and keeps the old one: told, and trusted.
    assert backend_cli(["receipts", "rotate", "--data-dir", data_dir]) == 0
    code, out, err = _login(capsys, stack)
    assert code == 0
    assert "now also signs receipts with a new key" in out
    assert "receipt-signing keys" not in err

    # The key file replaced behind everyone's back: a warning, and the old pins stay.
    (stack.backend.settings.data_dir / KEYS_FILE).unlink()
    backend_cli(["receipts", "keys", "--data-dir", data_dir])  # creates a fresh, unrelated key
    pinned = (paths.data_dir / "server-keys.json").read_text()
    code, out, err = _login(capsys, stack)
    assert code == 0
    assert "warning: The receipt-signing keys of" in err
    assert "changed since you first signed in" in err
    assert (paths.data_dir / "server-keys.json").read_text() == pinned
    receipt = _upload(stack, tmp_path / "after.mkv")
    code, lines = _verify(capsys, str(_export([receipt], tmp_path / "r.json")))
    assert code == 1
    assert "not among the trusted keys" in lines[0]

    # Accepted knowingly: from then on its receipts verify.
    assert cli_main(["receipts", "keys", "--accept"]) == 0
    capsys.readouterr()
    code, lines = _verify(capsys, str(_export([receipt], tmp_path / "r.json")))
    assert code == 0, lines
    assert pinned_first != json.loads((paths.data_dir / "server-keys.json").read_text())
    assert AppConfig.load(paths.config_file).server_url == stack.server_url


def test_without_a_keyring_the_first_upload_pins_the_keys(
    stack: Stack, tmp_path: Path, app_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No keyring here: `login` only saves the account, and `upload` signs in with the password.
    code, _, err = _login(capsys, stack)
    assert code == 3, err
    paths = AppPaths.default()
    assert not (paths.data_dir / "server-keys.json").exists()
    recording = tmp_path / "webcam.webm"
    write_file(recording, 2000)
    with pytest.MonkeyPatch.context() as mp:
        import io

        mp.setattr("sys.stdin", io.StringIO(stack.password + "\n"))
        code = cli_main(["upload", str(recording), "--exam", "E-1", "--password-stdin"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert f"Trusting the receipt-signing keys of {stack.server_url}" in out
    export = tmp_path / "r.json"
    assert cli_main(["receipts", "--json", str(export)]) == 0
    capsys.readouterr()
    code, lines = _verify(capsys, str(export), "--file", str(recording))
    assert code == 0, lines
