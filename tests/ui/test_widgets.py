"""The smaller pieces: add prompt, history, notices, crash handler, error texts, assets."""

from __future__ import annotations

import csv
import inspect
import re
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel

import desktop.errors
from desktop.engine.receipt import Receipt
from desktop.file_scan import FoundFile, Selection
from desktop.ui.assets import ICON_NAMES, icon_path, resources_dir
from desktop.ui.dialogs.add_files import AddFilesDialog, exam_id_problem
from desktop.ui.dialogs.crash import CrashDialog
from desktop.ui.messages import Level, MessageCenter, install_excepthooks
from desktop.ui.text import i18n
from desktop.ui.text.errors import error_text, known_titles
from desktop.ui.views.history import HistoryView
from desktop.ui.views.log import LogView
from desktop.ui.widgets.notice_area import NoticeArea

ROOT = Path(__file__).resolve().parents[2]


def _selection(*names: str, others: tuple[str, ...] = ()) -> Selection:
    return Selection(
        recordings=[FoundFile(Path("/rec") / n, 1024 * 1024) for n in names],
        others=[FoundFile(Path("/rec") / n, 10) for n in others],
    )


def test_add_prompt_guesses_kinds_and_validates_the_exam(qtbot: Any) -> None:
    selection = _selection("Webcam_014.mp4", "screen-014.mkv", "room.mp4")
    dialog = AddFilesDialog(
        None, selection, last_exam_id="", last_kind="other", known_exams=["BIO-101"]
    )
    qtbot.addWidget(dialog)
    assert dialog.kind_combo.currentData() == "auto"  # names carry hints, so detect
    assert dialog.headline.text() == "Add 3 recordings"
    assert not dialog.ok_button.isEnabled()  # no exam yet
    dialog.exam_edit.setText("BIO 101")
    assert dialog.exam_error.isVisibleTo(dialog)
    assert not dialog.ok_button.isEnabled()
    dialog.exam_edit.setText("BIO-101")
    assert not dialog.exam_error.isVisibleTo(dialog)
    assert dialog.ok_button.isEnabled()
    request = dialog.request()
    assert [(p.name, kind) for p, kind in request.files] == [
        ("Webcam_014.mp4", "webcam"),
        ("screen-014.mkv", "screen"),
        ("room.mp4", "other"),
    ]
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("screen"))
    assert {kind for _, kind in dialog.request().files} == {"screen"}


def test_add_prompt_asks_before_adding_files_that_are_not_recordings(qtbot: Any) -> None:
    dialog = AddFilesDialog(
        None,
        _selection("a.mp4", others=("notes.txt", "plan.pdf")),
        last_exam_id="X1",
        last_kind="webcam",
        known_exams=[],
    )
    qtbot.addWidget(dialog)
    assert dialog.kind_combo.currentData() == "webcam"  # no hint in names: last kind
    assert dialog.others_box.isVisibleTo(dialog)
    assert not dialog.others_box.isChecked()
    assert len(dialog.request().files) == 1
    dialog.others_box.setChecked(True)
    assert dialog.headline.text() == "Add 3 recordings"
    assert len(dialog.request().files) == 3


def test_only_other_files_need_an_explicit_yes(qtbot: Any) -> None:
    dialog = AddFilesDialog(
        None, _selection(others=("notes.txt",)), last_exam_id="X1", last_kind="other",
        known_exams=[],
    )  # fmt: skip
    qtbot.addWidget(dialog)
    assert dialog.headline.text() == "These files are not recordings"
    assert not dialog.ok_button.isEnabled()
    dialog.others_box.setChecked(True)
    assert dialog.ok_button.isEnabled()


@pytest.mark.parametrize(
    ("exam", "ok"),
    [("BIO-101", True), ("a", True), ("", False), ("-x", False), ("a..b", False), ("ä", False)],
)
def test_exam_ids_follow_the_backend_rule(exam: str, ok: bool) -> None:
    assert (exam_id_problem(exam) is None) is ok


def _receipt(n: int, name: str, exam: str) -> Receipt:
    return Receipt(
        job_id=f"j{n}",
        path=f"/rec/{name}",
        key=f"recordings/webcam/2024/{exam}/{name}",
        size=1000 * n,
        sha256=f"{n:064x}",
        etag=f'"e{n}"',
        completed_at=f"2024-05-0{n}T10:00:00Z",
        exam_id=exam,
        kind="webcam",
        upload_id=f"u{n}",
    )


def test_history_search_copy_and_csv_export(qtbot: Any, tmp_path: Path) -> None:
    view = HistoryView()
    qtbot.addWidget(view)
    view.model.set_receipts([_receipt(1, "anna.mp4", "BIO-101"), _receipt(2, "ben.mp4", "LAW-3")])
    view.model.add_receipt(_receipt(3, "cara.mp4", "BIO-101"))
    view.model.add_receipt(_receipt(3, "cara.mp4", "BIO-101"))  # a duplicate event is ignored
    assert view.proxy.rowCount() == 3
    assert view.count_label.text() == "3 uploads"
    view.search.setText("bio-101")
    assert view.proxy.rowCount() == 2
    assert view.count_label.text() == "2 of 3"
    view.table.selectRow(0)
    view.copy_button.click()
    assert QGuiApplication.clipboard().text().startswith("recordings/webcam/2024/BIO-101/")

    target = tmp_path / "export"
    with qtbot.waitSignal(view.sig_export_finished, timeout=10_000) as done:
        view.export_to(target)
    assert done.args == [str(target) + ".csv", 2]
    with (tmp_path / "export.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["path"] for r in rows] == ["/rec/cara.mp4", "/rec/anna.mp4"]
    assert rows[0]["sha256"] == f"{3:064x}"


def test_history_export_failure_is_reported(qtbot: Any, tmp_path: Path) -> None:
    view = HistoryView()
    qtbot.addWidget(view)
    view.model.set_receipts([_receipt(1, "anna.mp4", "BIO-101")])
    (tmp_path / "a-file").write_text("not a folder")
    with qtbot.waitSignal(view.sig_export_failed, timeout=10_000):
        view.export_to(tmp_path / "a-file" / "x.csv")


def test_notices_stack_count_repeats_and_dismiss(qtbot: Any) -> None:
    area = NoticeArea()
    qtbot.addWidget(area)
    area.show()
    first = area.post(Level.ERROR.value, "Storage error", "part 3")
    assert area.post(Level.ERROR.value, "Storage error", "part 3") is first
    assert first.title_label.text() == "Storage error (×2)"
    for i in range(4):
        area.post(Level.WARNING.value, f"w{i}", "")
    assert [n.title_label.text() for n in area.notices()] == ["w3", "w2", "w1"]
    clicked: list[int] = []
    area.notices()[0].add_action("Sign in", lambda: clicked.append(1))
    button = area.notices()[0].action_button
    assert button is not None
    button.click()
    assert clicked == [1]
    assert [n.title_label.text() for n in area.notices()] == ["w2", "w1"]


def test_message_center_translates_errors(qtbot: Any) -> None:
    center = MessageCenter()
    posted: list[tuple[str, str, str]] = []
    center.sig_notice_posted.connect(lambda *args: posted.append(args))
    center.error(desktop.errors.NetworkError())
    center.error(RuntimeError("internal detail"), doing="testing")
    assert posted[0] == (
        "warning",
        "Network problem",
        "The server could not be reached. Check the network connection; uploads continue when "
        "it is back.",
    )
    assert posted[1][0] == "error"
    assert "internal detail" not in posted[1][2]  # a bug's text is for the log, not the proctor


def test_every_error_title_has_a_translation_entry() -> None:
    titles = {
        cls.default_title
        for _, cls in inspect.getmembers(desktop.errors, inspect.isclass)
        if issubclass(cls, desktop.errors.UploaderError)
    }
    # Titles written anywhere in the Qt-free code (the engine, API client, auth, config...).
    for source in (ROOT / "desktop").rglob("*.py"):
        if "ui" not in source.relative_to(ROOT / "desktop").parts:
            text = source.read_text()
            titles.update(re.findall(r'(?:default_title = |title=)"([^"]+)"', text))
    assert titles <= known_titles(), sorted(titles - known_titles())


def test_error_text_in_korean_never_shows_english_prose(qtbot: Any) -> None:
    i18n.apply_language("ko")
    title, message = error_text(
        "Server not reachable",
        "The server at https://uploads.example.edu refused the connection: it may be down.",
    )
    assert title == "서버에 연결할 수 없음"
    assert re.search(r"[\uac00-\ud7a3]", message)
    assert "refused" not in message
    # English keeps the specific original message.
    i18n.apply_language("en")
    assert error_text("Server not reachable", "The server at X refused.")[1] == (
        "The server at X refused."
    )


def test_uncaught_exceptions_show_the_crash_dialog_with_the_log_path(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shown: list[tuple[str, Path | None]] = []
    monkeypatch.setattr(
        CrashDialog,
        "ask",
        classmethod(lambda cls, parent, details, log: shown.append((details, log))),
    )
    log_path = tmp_path / "proctor-uploader.log"
    uninstall = install_excepthooks(log_path)
    try:
        # From a worker thread...
        def worker() -> None:
            raise ValueError("password=hunter2 in a bad place")

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        qtbot.waitUntil(lambda: len(shown) == 1)
        # ...and from the GUI thread.
        try:
            raise KeyError("second")
        except KeyError:
            sys.excepthook(*sys.exc_info())
        qtbot.waitUntil(lambda: len(shown) == 2)
    finally:
        uninstall()
    details, where = shown[0]
    assert where == log_path
    assert "ValueError" in details
    assert "hunter2" not in details  # redacted like the log
    assert "KeyError" in shown[1][0]


def test_crash_dialog_shows_the_log_path(qtbot: Any, tmp_path: Path) -> None:
    dialog = CrashDialog(None, "Traceback ...", tmp_path / "app.log")
    qtbot.addWidget(dialog)
    labels = [label.text() for label in dialog.findChildren(QLabel)]
    assert f"Log file: {tmp_path / 'app.log'}" in labels


def test_every_icon_the_code_uses_exists() -> None:
    for name in ICON_NAMES:
        assert icon_path(name).is_file(), name
    used = set()
    for source in (ROOT / "desktop" / "ui").rglob("*.py"):
        used.update(re.findall(r'\bicon\(\s*"([a-z-]+)"', source.read_text()))
    used.update(re.findall(r'"(state-[a-z-]+)"', (ROOT / "desktop/ui/queue_model.py").read_text()))
    assert used <= set(ICON_NAMES), used - set(ICON_NAMES)
    assert (resources_dir() / "style.qss").is_file()
    for code in ("en", "ko"):
        assert (resources_dir() / "translations" / f"proctor_{code}.qm").is_file()


def test_history_takes_a_batch_of_receipts_in_one_insertion(qtbot: Any) -> None:
    view = HistoryView()
    qtbot.addWidget(view)
    view.model.set_receipts([_receipt(1, "anna.mp4", "BIO-101")])
    inserted: list[tuple[int, int]] = []
    view.model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    batch = [_receipt(2, "ben.mp4", "LAW-3"), _receipt(1, "anna.mp4", "BIO-101")]
    batch.append(_receipt(3, "cara.mp4", "BIO-101"))
    view.model.add_receipts(batch)  # anna's is known already: ignored
    assert inserted == [(0, 1)]
    names = [Path(r.path).name for r in view.model.receipts()]
    assert names == ["cara.mp4", "ben.mp4", "anna.mp4"]  # the last to arrive on top
    view.model.add_receipts([_receipt(3, "cara.mp4", "BIO-101")])
    assert inserted == [(0, 1)]
    assert view.count_label.text() == "3 uploads"


def test_log_view_appends_a_batch_of_lines_in_one_edit(qtbot: Any) -> None:
    view = LogView(["first"], None)
    qtbot.addWidget(view)
    edits: list[int] = []
    view.text.document().contentsChange.connect(lambda *_: edits.append(1))
    view.append_lines([f"line {n}" for n in range(50)])
    assert len(edits) == 1
    assert view.text.document().blockCount() == 51
    assert view.text.toPlainText().splitlines()[-1] == "line 49"
    view.append_lines([])
    assert len(edits) == 1
