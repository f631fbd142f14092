"""`receipts verify` and `receipts keys` on bad input: one line saying what, and no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.cli.main import main


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, err


@pytest.mark.usefixtures("app_home")
def test_unusable_exports_and_key_sets_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "receipts.csv"
    csv.write_text("completed_at,path\n")
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    good = tmp_path / "one.json"
    good.write_text(json.dumps([{"path": "/r/a.mp4", "signed": ""}]))
    not_keys = tmp_path / "keys.json"
    not_keys.write_text('{"keys": [{"kty": "RSA"}]}')
    cases = [
        (("receipts", "verify", str(tmp_path / "missing.json")), 2, "No such file"),
        (("receipts", "verify", str(csv)), 2, "is not JSON; export the receipts with"),
        (("receipts", "verify", str(empty)), 1, "holds no receipts"),
        (("receipts", "verify", str(good)), 2, "no trusted keys: sign in once"),
        (("receipts", "verify", str(good), "--keys", str(not_keys)), 2, "key set is unusable"),
        (("receipts", "keys"), 2, "not signed in to any server yet"),
    ]
    for args, code, text in cases:
        got, err = _run(capsys, *args)
        assert (got, len(err.strip().splitlines())) == (code, 1), (args, err)
        assert text in err, (args, err)


@pytest.mark.usefixtures("app_home")
def test_an_unsigned_receipt_fails_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(
        json.dumps({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k1", "alg": "EdDSA",
                              "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})
    )  # fmt: skip
    export = tmp_path / "r.json"
    export.write_text(json.dumps([{"path": "/r/old.mp4", "signed": ""}]))
    assert main(["receipts", "verify", str(export), "--keys", str(keys)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "FAIL  old.mp4: not signed by the server (completed before it signed receipts)"
    ]
    other = tmp_path / "other.mp4"
    other.write_bytes(b"x")
    assert main(["receipts", "verify", str(export), "--keys", str(keys), "--file", str(other)]) == 1
    assert f"FAIL  {other}: no receipt in {export} is for this file" in capsys.readouterr().out
