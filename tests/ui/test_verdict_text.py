"""A receipt's verdict reason reads in the user's language in History (the CLI keeps English)."""

from __future__ import annotations

import dataclasses
import re
import string
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PySide6.QtCore import QCoreApplication, Qt

from desktop.engine.receipt import Receipt
from desktop.trust import verify
from desktop.ui.text import i18n
from desktop.ui.views.history import HistoryModel, HistoryView

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_verdict_reason_has_a_korean_text(qtbot: Any) -> None:
    i18n.apply_language("ko")
    for template in verify.REASONS:
        korean = QCoreApplication.translate("verdicts", template)
        assert korean != template, template
        assert HANGUL.search(korean), korean
        assert _fields(korean) == _fields(template), template


def _signer(kid: str) -> tuple[dict[str, Any], Any]:
    key = Ed25519PrivateKey.generate()
    jwk = jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update(kid=kid, alg="EdDSA", use="sig")

    def sign(claims: dict[str, object]) -> str:
        headers = {"kid": kid, "typ": verify.RECEIPT_TYPE}
        return jwt.encode(claims, key, algorithm="EdDSA", headers=headers)

    return jwk, sign


def _receipt(n: int, sign: Any) -> Receipt:
    r = Receipt(
        job_id=f"j{n}", path=f"/r/webcam_{n}.mp4", key=f"recordings/webcam/{n}.mp4", size=1000 + n,
        sha256=f"{n:x}" * 64, etag="e-1", completed_at=f"2026-01-0{n}T09:00:00Z", exam_id="BIO-101",
        kind="webcam", upload_id=f"u{n}",
    )  # fmt: skip
    claims = {"format": 1, "jti": f"rc{n}", "iss": "https://exams.example", "sub": "kim",
              "iat": 1, "upload_id": r.upload_id, "key": r.key, "size": r.size,
              "sha256": r.sha256, "exam_id": r.exam_id, "kind": r.kind, "checksum": {}}  # fmt: skip
    return dataclasses.replace(r, signed=sign(claims))


def test_history_in_korean_shows_each_verdict_reason_in_korean(qtbot: Any) -> None:
    jwk, sign = _signer("k1")
    _, forger = _signer("k1")  # same key id, another private key: the signature fails
    _, stranger = _signer("k9")  # a key the client never pinned
    receipts = {
        verify.HOLDS: _receipt(1, sign),
        verify.CLAIM_DIFFERS: dataclasses.replace(_receipt(2, sign), size=99),
        verify.BAD_SIGNATURE: _receipt(3, forger),
        verify.UNKNOWN_KEY: _receipt(4, stranger),
        verify.NOT_SIGNED: dataclasses.replace(_receipt(5, sign), signed=""),
    }
    view = HistoryView()
    qtbot.addWidget(view)
    view.resize(1000, 560)
    view.show()
    view.model.set_receipts(list(receipts.values()))
    with qtbot.waitSignal(view.model.dataChanged, timeout=10_000):
        view.model.set_trusted_keys(jwt.PyJWKSet.from_dict({"keys": [jwk]}))
    qtbot.waitUntil(lambda: view.model.verdict(receipts[verify.HOLDS]) is not None, timeout=10_000)
    i18n.apply_language("ko")
    qtbot.waitUntil(lambda: view.model.headerData(0, Qt.Orientation.Horizontal) != "Completed")

    for template, receipt in receipts.items():
        verdict = view.model.verdict(receipt)
        assert verdict is not None
        assert verdict.template == template
        row = [r.upload_id for r in view.model.receipts()].index(receipt.upload_id)
        tip = str(
            view.model.data(
                view.model.index(row, HistoryModel.SIGNED_COLUMN), Qt.ItemDataRole.ToolTipRole
            )
        )
        assert HANGUL.search(tip), tip
        assert verdict.reason not in tip  # not the English words
        # The values (key id, claim, issuer) are still there, inside the Korean sentence.
        for value in verdict.values.values():
            assert value in tip

    # Selecting the verified row with the keyboard shows the Korean reason in the details panel.
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Home)
    for _ in receipts:  # walk down to the verified receipt, as a proctor would
        if view.details.values["upload_id"].text() == receipts[verify.HOLDS].upload_id:
            break
        qtbot.keyClick(view.table, Qt.Key.Key_Down)
    shown = view.details.values["signed"].text()
    assert shown.startswith("검증됨"), shown
    assert "서명과 내용이 일치합니다" in shown
    assert "https://exams.example" in shown
    # The CLI's words stay English: the verdict itself is not translated.
    held = view.model.verdict(receipts[verify.HOLDS])
    assert held is not None
    assert held.reason.startswith("signature and claims hold")
