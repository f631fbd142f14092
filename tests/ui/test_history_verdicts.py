"""The History model checks receipts' signatures off the GUI thread and shows each verdict."""

from __future__ import annotations

import dataclasses
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PySide6.QtCore import Qt

from desktop.engine.receipt import Receipt
from desktop.ui.views.history import HistoryModel


def _receipt(n: int, sign: Any) -> Receipt:
    r = Receipt(
        job_id=f"j{n}", path=f"/r/{n}.mp4", key=f"recordings/{n}.mp4", size=n, sha256="a" * 64,
        etag="e-1", completed_at=f"2026-01-0{n}T00:00:00Z", exam_id="E", kind="webcam",
        upload_id=f"u{n}",
    )  # fmt: skip
    claims = {"format": 1, "jti": f"rc{n}", "iss": "https://x", "sub": "kim", "iat": 1,
              "upload_id": r.upload_id, "key": r.key, "size": r.size, "sha256": r.sha256,
              "exam_id": "E", "kind": "webcam", "checksum": {}}  # fmt: skip
    return dataclasses.replace(r, signed=sign(claims))


def test_verdicts_arrive_from_the_background_and_name_the_problem(qtbot: Any) -> None:
    key = Ed25519PrivateKey.generate()
    jwk = jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update(kid="k1", alg="EdDSA", use="sig")

    def sign(claims: dict[str, object]) -> str:
        headers = {"kid": "k1", "typ": "proctor-receipt+jwt"}
        return jwt.encode(claims, key, algorithm="EdDSA", headers=headers)

    good = _receipt(1, sign)
    tampered = dataclasses.replace(_receipt(2, sign), size=99)  # the local copy was edited
    unsigned = dataclasses.replace(_receipt(3, sign), signed="")
    model = HistoryModel()
    model.set_receipts([good, tampered, unsigned])

    def cell(receipt: Receipt, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        row = [r.upload_id for r in model.receipts()].index(receipt.upload_id)
        return model.data(model.index(row, HistoryModel.SIGNED_COLUMN), role)

    assert [cell(r) for r in (good, tampered, unsigned)] == ["Signed", "Signed", "Not signed"]
    with qtbot.waitSignal(model.dataChanged, timeout=10_000):
        model.set_trusted_keys(jwt.PyJWKSet.from_dict({"keys": [jwk]}))
    qtbot.waitUntil(lambda: cell(good) == "Signed, verified", timeout=10_000)
    assert cell(tampered) == "Signed, NOT verified"
    assert "size is 99 here but 2 in the signed receipt" in str(
        cell(tampered, Qt.ItemDataRole.ToolTipRole)
    )
    assert cell(unsigned) == "Not signed"
    # A receipt that arrives later is checked on its own.
    later = _receipt(4, sign)
    model.add_receipts([later])
    assert cell(later) == "Signed, verified"
