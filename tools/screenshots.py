"""Render the app's main screens to docs/screenshots/, in English and Korean.

    .venv/bin/python tools/screenshots.py [--out docs/screenshots] [--lang en ko]

Offscreen and deterministic: the windows are the real widgets, fed with realistic rows (an exam
room's webcam and screen recordings mid-upload, one waiting for the network, one that failed),
so the pictures change only when the UI does. Look at every PNG before calling a screen done.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PySide6.QtCore import QPoint, QSize
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QWidget

from desktop import wiring
from desktop.auth.credentials import MemoryCredentialStore
from desktop.config import AppConfig, BandwidthWindow
from desktop.engine.events import JobSnapshot, JobState, Receipt
from desktop.file_scan import FoundFile, Selection
from desktop.ui.dialogs.add_files import AddFilesDialog
from desktop.ui.dialogs.login import SignInDialog
from desktop.ui.dialogs.settings import SettingsDialog
from desktop.ui.messages import Level
from desktop.ui.queue_model import UploadQueueModel
from desktop.ui.text import i18n
from desktop.ui.theme import apply_theme
from desktop.ui.views.main_window import MainWindow

GIB = 1024**3
MIB = 1024**2
ROOM = "/home/proctor/Recordings/BIO-101/room-214"
SERVER = "https://uploads.example.edu"


def _job(
    n: int, name: str, state: JobState, size: float, done: float = 0.0, **extra: object
) -> JobSnapshot:
    values: dict[str, object] = {
        "job_id": f"job-{n}",
        "path": f"{ROOM}/{name}",
        "size": int(size * GIB),
        "exam_id": "BIO-101",
        "kind": "screen" if "screen" in name else "webcam",
        "state": state,
        "bytes_done": int(done * size * GIB),
        "speed_bps": 0.0,
        "eta_seconds": None,
        "error_title": None,
        "error_message": None,
        "key": None,
        "priority": 0,
        "created_at": 1_714_550_000.0 + n,
    }
    values.update(extra)
    return JobSnapshot(**values)  # type: ignore[arg-type]


def queue_rows() -> list[JobSnapshot]:
    """An exam room at the end of the day: some done, some climbing, two that need a word."""
    key = "recordings/webcam/2024/05/01/BIO-101/"
    return [
        _job(1, "webcam_candidate_011.mp4", JobState.COMPLETED, 1.84, 1.0, key=key + "c011.mp4"),
        _job(2, "screen_candidate_011.mkv", JobState.COMPLETED, 2.31, 1.0, key=key + "s011.mkv"),
        _job(3, "webcam_candidate_012.mp4", JobState.UPLOADING, 1.92, 0.83,
             speed_bps=14.6 * MIB, eta_seconds=24),
        _job(4, "screen_candidate_012.mkv", JobState.UPLOADING, 2.47, 0.41,
             speed_bps=12.9 * MIB, eta_seconds=118),
        _job(5, "webcam_candidate_013.mp4", JobState.WAITING_NETWORK, 1.77, 0.22,
             error_title="Server not reachable", error_message="The connection was refused."),
        _job(6, "screen_candidate_013.mkv", JobState.SOURCE_CHANGED, 2.05, 0.57,
             error_title="File changed", error_message="It changed after it was queued."),
        _job(7, "webcam_candidate_014.mp4", JobState.QUEUED, 1.69),
        _job(8, "screen_candidate_014.mkv", JobState.QUEUED, 2.12),
        _job(9, "webcam_candidate_015.mp4", JobState.PAUSED, 1.58, 0.08),
    ]  # fmt: skip


def _signer() -> tuple[Callable[[dict[str, object]], str], jwt.PyJWKSet]:
    """Sign receipts the way the backend does (docs/api.md), with a key made for the picture."""
    key = Ed25519PrivateKey.generate()
    jwk = jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update(kid="screenshot-key", alg="EdDSA", use="sig")

    def sign(claims: dict[str, object]) -> str:
        headers = {"kid": "screenshot-key", "typ": "proctor-receipt+jwt"}
        return jwt.encode(claims, key, algorithm="EdDSA", headers=headers)

    return sign, jwt.PyJWKSet.from_dict({"keys": [jwk]})


def receipts(sign: Callable[[dict[str, object]], str] | None = None) -> list[Receipt]:
    """A week of finished uploads; with `sign`, all but the oldest carry a signed receipt."""
    found = []
    exams = ["BIO-101", "BIO-101", "CHEM-201", "CHEM-201", "LAW-3", "HIST-9", "HIST-9", "MATH-12"]
    for n, exam in enumerate(exams, start=1):
        kind = "webcam" if n % 2 else "screen"
        name = f"{kind}_candidate_{n:03d}.{'mp4' if kind == 'webcam' else 'mkv'}"
        found.append(
            Receipt(
                job_id=f"r{n}",
                path=f"/home/proctor/Recordings/{exam}/{name}",
                key=f"recordings/{kind}/2024/04/{20 + n:02d}/{exam}/{name}",
                size=int((1.4 + 0.13 * n) * GIB),
                sha256=hashlib.sha256(name.encode()).hexdigest(),
                etag=f'"{n:032x}-{120 + n}"',
                completed_at=f"2024-04-{20 + n:02d}T{6 + n:02d}:{10 + 3 * n:02d}:00Z",
                exam_id=exam,
                kind=kind,
                upload_id=f"u{n}",
            )
        )
    if sign is None:
        return found
    signed = []
    for n, r in enumerate(found, start=1):
        claims = {
            "format": 1, "jti": f"rc_{n}", "iss": "https://uploads.example.edu", "sub": "kim",
            "iat": 1713600000 + n, "upload_id": r.upload_id, "key": r.key, "size": r.size,
            "sha256": r.sha256, "exam_id": r.exam_id, "kind": r.kind,
            "checksum": {"algorithm": "S3-ETAG", "value": r.etag.strip('"')},
        }  # fmt: skip
        signed.append(r if n == 1 else dataclasses.replace(r, signed=sign(claims)))
    return signed


def _save(widget: QWidget, path: Path) -> None:
    app = QApplication.instance()
    assert app is not None
    for _ in range(3):
        app.processEvents()
        time.sleep(0.05)
    widget.grab().save(str(path))
    sys.stdout.write(f"{path}\n")


def main_window(model: UploadQueueModel) -> MainWindow:
    """The main window as a signed-in proctor sees it, mid-upload."""
    window = MainWindow(model, log_lines=[], log_path=None)
    window.resize(QSize(1200, 660))
    window.set_account("proctor.kim @ uploads.example.edu")
    window.set_watching("/home/proctor/Recordings")
    window.set_awake(True)
    return window


def render(out: Path, language: str) -> None:
    """Render every screen in `language` into `out`."""
    i18n.apply_language(language)
    model = UploadQueueModel(refresh_ms=60_000)
    rows = queue_rows()
    for job in rows:
        # Everything starts as part of this batch; the first two have finished since.
        started = job.state is JobState.COMPLETED
        model.add_job(dataclasses.replace(job, state=JobState.UPLOADING) if started else job)
    model.flush()
    for job in rows:
        model.update_job(job)
    model.flush()

    window = main_window(model)
    window.show()
    window.notices.post(Level.WARNING.value, _notice_title(), _notice_text())
    window.queue_view.table.selectRow(3)
    window.queue_view.table.setFocus()
    _save(window, out / f"main-{language}.png")
    window.notices.clear()

    sign, keys = _signer()
    window.history_view.model.set_receipts(receipts(sign))
    window.history_view.model.set_trusted_keys(keys)
    window.tabs.setCurrentWidget(window.history_view)
    window.history_view.table.selectRow(1)
    _save(window, out / f"history-{language}.png")

    empty = main_window(UploadQueueModel(refresh_ms=60_000))
    empty.set_awake(False)
    empty.show()
    _save(empty, out / f"empty-{language}.png")

    session = wiring.auth_session(lambda: AppConfig(server_url=SERVER), MemoryCredentialStore())
    sign_in = SignInDialog(None, session, server_url=SERVER, username="proctor.kim")
    sign_in.password_edit.setText("correct horse")
    sign_in.show()
    sign_in.password_edit.deselect()
    _save(sign_in, out / f"sign-in-{language}.png")

    config = AppConfig(
        server_url=SERVER,
        parallel_files=3,
        parallel_parts=4,
        bandwidth_limit_kib=20 * 1024,
        schedule=(BandwidthWindow("08:00", "16:30", 4 * 1024),),
        watch_enabled=True,
        watch_path="/home/proctor/Recordings",
        watch_exam_id="BIO-101",
        language=language,
    )
    settings = SettingsDialog(None, config, server_url=SERVER)
    settings.show()
    _save(settings, out / f"settings-{language}.png")
    settings.tabs.setCurrentIndex(1)
    _save(settings, out / f"settings-watch-{language}.png")
    settings.tabs.setCurrentIndex(3)
    _save(settings, out / f"settings-connection-{language}.png")

    selection = Selection(
        recordings=[
            FoundFile(Path(ROOM) / "webcam_candidate_021.mp4", int(1.7 * GIB)),
            FoundFile(Path(ROOM) / "screen_candidate_021.mkv", int(2.2 * GIB)),
            FoundFile(Path(ROOM) / "webcam_candidate_022.mp4", int(1.6 * GIB)),
        ],
        others=[FoundFile(Path(ROOM) / "seating-plan.pdf", 180_000)],
    )
    add = AddFilesDialog(
        None, selection, last_exam_id="BIO-101", last_kind="webcam", known_exams=["BIO-101"]
    )
    add.show()
    _save(add, out / f"add-{language}.png")
    for widget in (window, empty, sign_in, settings, add):
        widget.close()
        widget.deleteLater()
    session.close()


def _notice_title() -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("errors", "Server not reachable")


def _notice_text() -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate(
        "errors",
        "The server refused the connection: it may be down, or the address or port may be wrong.",
    )


def main(argv: list[str]) -> int:
    """Render the screenshots; prints each file written."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--lang", nargs="+", default=["en", "ko"])
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app)
    QCursor.setPos(QPoint(-1000, -1000))  # no hover highlight on whatever sits at (0, 0)
    for language in args.lang:
        render(args.out, language)
    i18n.apply_language("en")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
