"""The queue model: a correct Qt model, batched repaints of changed rows, a truthful summary."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QImage

from desktop.engine.events import JobSnapshot, JobState
from desktop.engine.receipt import Receipt
from desktop.ui.bridge import BATCH_MS, EngineBridge
from desktop.ui.queue_model import Column, JobRole, ProgressRole, QueueSummary, UploadQueueModel
from desktop.ui.views.queue import QueueView
from tests.ui.conftest import make_job

GIB = 1024**3


def _model(qtbot: Any, jobs: int = 0) -> UploadQueueModel:
    model = UploadQueueModel(refresh_ms=60_000)  # tests flush by hand
    for _ in range(jobs):
        model.add_job(make_job())
    model.flush()
    return model


def _record_changes(model: UploadQueueModel) -> list[tuple[int, int, int, int]]:
    changes: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(
        lambda tl, br, _roles=None: changes.append((tl.row(), br.row(), tl.column(), br.column()))
    )
    return changes


def test_model_passes_qtmodeltester(qtbot: Any, qtmodeltester: Any) -> None:
    model = _model(qtbot)
    qtmodeltester.check(model)
    model.add_job(make_job(state=JobState.UPLOADING, bytes_done=5 * GIB, size=6 * GIB))
    model.add_job(make_job(state=JobState.FAILED, error_title="Storage error", error_message="x"))
    model.add_job(make_job(state=JobState.COMPLETED, key="exams/BIO-101/a.mp4"))
    model.flush()
    qtmodeltester.check(model)


def test_rows_appear_at_the_next_refresh_in_one_insert(qtbot: Any) -> None:
    model = _model(qtbot)
    inserts: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserts.append((first, last)))
    for _ in range(50):
        model.add_job(make_job())
    assert model.rowCount() == 0
    model.flush()
    assert model.rowCount() == 50
    assert inserts == [(0, 49)]


def test_progress_repaints_only_changed_rows_once_per_refresh(qtbot: Any) -> None:
    model = _model(qtbot, jobs=10)
    changes = _record_changes(model)
    ids = [model.job_at(row).job_id for row in range(10)]
    for step in range(5):  # many events for the same rows between two refreshes...
        for row in (3, 4, 5, 8):
            model.update_progress(ids[row], 1000 * step, 0, 10.0, 5.0)
    assert changes == []
    model.flush()
    # ...become one signal per run of adjacent changed rows, across all columns.
    last = len(Column) - 1
    assert changes == [(3, 5, 0, last), (8, 8, 0, last)]
    assert model.job_at(4).bytes_done == 4000
    changes.clear()
    model.flush()
    assert changes == []  # nothing changed: nothing repainted


def test_progress_beyond_4_gib_crosses_threads_intact(qtbot: Any) -> None:
    bridge = EngineBridge()
    model = _model(qtbot)
    model.set_progress_source(bridge.take_progress)
    job = make_job(size=10 * GIB, state=JobState.UPLOADING)
    bridge.sig_job_added.connect(model.add_job, Qt.ConnectionType.QueuedConnection)

    def engine_thread() -> None:
        bridge.on_job_added(job=job)
        for done in (GIB, 5 * GIB, 9 * GIB):  # only the newest figure matters
            bridge.on_progress(
                job_id=job.job_id, bytes_done=done, total=10 * GIB, speed_bps=2e7, eta_seconds=None
            )

    worker = threading.Thread(target=engine_thread)
    worker.start()
    worker.join()

    def row_shown() -> bool:
        model.flush()
        return model.rowCount() == 1

    qtbot.waitUntil(row_shown)
    row = model.row_of(job.job_id)
    assert row is not None
    shown = model.job_at(row)
    assert shown.bytes_done == 9 * GIB
    assert shown.eta_seconds is None
    assert model.data(model.index(row, Column.PROGRESS), ProgressRole) == 0.9
    assert model.data(model.index(row, Column.PROGRESS)) == "90%"
    assert bridge.take_progress() == {}  # taken once


def test_a_setback_shows_until_bytes_move_again(qtbot: Any) -> None:
    model = _model(qtbot)
    job = make_job(state=JobState.UPLOADING, size=100, bytes_done=40)
    model.add_job(job)
    model.flush()
    model.update_job(dataclasses.replace(job, error_title="Storage error", error_message="500"))
    status = model.index(0, Column.STATUS)
    assert model.data(status) == "Retrying — Storage error"
    model.update_progress(job.job_id, 40, 100, 0.0, -1)
    assert model.data(status) == "Retrying — Storage error"
    model.update_progress(job.job_id, 55, 100, 10.0, 4.5)
    assert model.data(status) == "Uploading"  # the retry worked; the engine keeps the old error


def test_cells_show_human_text(qtbot: Any) -> None:
    model = _model(qtbot)
    model.add_job(
        make_job(
            path="/rec/BIO-101/webcam.mp4",
            size=3 * GIB // 2,
            state=JobState.UPLOADING,
            bytes_done=GIB // 2,
            speed_bps=12.5 * 1024 * 1024,
            eta_seconds=125,
        )
    )
    model.add_job(
        make_job(
            state=JobState.FAILED,
            error_title="Storage error",
            error_message="The storage server refused part 3 (HTTP 500).",
        )
    )
    model.flush()

    def cell(row: int, column: Column, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        return model.data(model.index(row, column), role)

    assert cell(0, Column.FILE) == "webcam.mp4"
    assert cell(0, Column.FILE, Qt.ItemDataRole.ToolTipRole) == "/rec/BIO-101/webcam.mp4"
    assert cell(0, Column.SIZE) == "1.5 GiB"
    assert cell(0, Column.SPEED) == "12.5 MiB/s"
    assert cell(0, Column.ETA) == "about 3 min"
    assert cell(0, Column.STATUS) == "Uploading"
    assert cell(0, Column.KIND) == "Webcam"
    assert cell(1, Column.STATUS) == "Failed — Storage error"
    assert "HTTP 500" in str(cell(1, Column.STATUS, Qt.ItemDataRole.ToolTipRole))
    assert cell(1, Column.SPEED) == ""
    assert isinstance(cell(1, Column.FILE, JobRole), type(model.job_at(1)))
    assert model.headerData(Column.ETA, Qt.Orientation.Horizontal) == "Time left"
    assert model.rowCount(model.index(0, 0)) == 0  # flat table
    assert model.data(QModelIndex()) is None


def test_state_change_replaces_the_snapshot(qtbot: Any) -> None:
    model = _model(qtbot, jobs=3)
    job = model.job_at(1)
    changes = _record_changes(model)
    model.update_job(dataclasses.replace(job, state=JobState.PAUSED))
    model.flush()
    assert model.job_at(1).state is JobState.PAUSED
    assert [c[:2] for c in changes] == [(1, 1)]


def test_remove_keeps_other_rows_and_pending_changes_aligned(qtbot: Any) -> None:
    model = _model(qtbot, jobs=4)
    ids = [job.job_id for job in model.jobs()]
    model.update_progress(ids[3], 77, 0, 1.0, 1.0)
    model.remove_job(ids[1])
    assert model.rowCount() == 3
    assert [j.job_id for j in model.jobs()] == [ids[0], ids[2], ids[3]]
    changes = _record_changes(model)
    model.flush()
    assert [c[:2] for c in changes] == [(2, 2)]
    assert model.row_of(ids[3]) == 2
    model.remove_job("unknown")  # harmless
    assert model.rowCount() == 3


def test_summary_and_batch_finished(qtbot: Any) -> None:
    model = _model(qtbot)
    old = make_job(state=JobState.COMPLETED, size=100)  # done before this batch: not counted
    a = make_job(size=1000, state=JobState.UPLOADING)
    b = make_job(size=3000, state=JobState.QUEUED)
    for job in (old, a, b):
        model.add_job(job)
    summaries: list[QueueSummary] = []
    model.sig_summary_changed.connect(summaries.append)
    model.flush()
    model.update_progress(a.job_id, 500, 1000, 100.0, 5.0)
    model.flush()
    summary = summaries[-1]
    assert (summary.total, summary.active, summary.batch_files) == (3, 2, 2)
    assert summary.batch_bytes == 4000
    assert summary.batch_done == 500
    assert summary.fraction == 0.125
    assert summary.eta_seconds == 35.0

    model.update_job(dataclasses.replace(a, state=JobState.COMPLETED, bytes_done=1000))
    with qtbot.waitSignal(
        model.sig_batch_finished, check_params_cb=lambda ok, bad: (ok, bad) == (1, 1)
    ):
        model.update_job(dataclasses.replace(b, state=JobState.FAILED, error_title="Storage error"))
        model.flush()
    assert summaries[-1].problems == 1
    assert summaries[-1].fraction == 0.25

    # A paused batch is not finished: it will go on when resumed.
    c = make_job(size=10, state=JobState.QUEUED)
    model.add_job(c)
    model.flush()
    finished: list[tuple[int, int]] = []
    model.sig_batch_finished.connect(lambda ok, bad: finished.append((ok, bad)))
    model.update_job(dataclasses.replace(c, state=JobState.PAUSED))
    model.flush()
    assert finished == []
    assert model.summary.paused == 1


def test_refresh_timer_flushes_by_itself(qtbot: Any) -> None:
    model = UploadQueueModel(refresh_ms=20)
    model.add_job(make_job())
    qtbot.waitUntil(lambda: model.rowCount() == 1)


def _receipt(job_id: str = "j") -> Receipt:
    return Receipt(
        job_id=job_id,
        path=f"/{job_id}.mp4",
        key="k",
        size=1,
        sha256="0" * 64,
        etag='"e"',
        completed_at="2024-01-01T00:00:00Z",
        exam_id="E",
        kind="webcam",
        upload_id="u",
    )


def test_bridge_forwards_receipts_and_login(qtbot: Any) -> None:
    bridge = EngineBridge()
    receipt = _receipt()
    with qtbot.waitSignal(bridge.sig_receipts_added, check_params_cb=lambda r: r == [receipt]):
        threading.Thread(target=lambda: bridge.on_receipt(receipt=receipt)).start()
    with qtbot.waitSignal(bridge.sig_login_required):
        threading.Thread(target=bridge.on_login_required).start()
    with qtbot.waitSignal(bridge.sig_job_removed, check_params_cb=lambda j: j == "j"):
        bridge.on_job_removed(job_id="j")


def test_bridge_hands_over_many_receipts_and_log_lines_as_one_batch(qtbot: Any) -> None:
    bridge = EngineBridge()
    receipts: list[list[Receipt]] = []
    lines: list[list[str]] = []
    bridge.sig_receipts_added.connect(receipts.append)
    bridge.sig_log_lines_added.connect(lines.append)

    def engine() -> None:  # a burst of completions, each logging lines, from an engine thread
        for n in range(300):
            bridge.on_log_line(f"line {n}")
            if n % 3 == 0:
                bridge.on_receipt(receipt=_receipt(f"job-{n}"))

    worker = threading.Thread(target=engine)
    worker.start()
    worker.join()  # everything arrives before the GUI thread looks
    qtbot.waitUntil(lambda: bool(lines) and bool(receipts))
    qtbot.wait(2 * BATCH_MS)  # nothing else is on its way
    assert lines == [[f"line {n}" for n in range(300)]]
    assert receipts == [[_receipt(f"job-{n}") for n in range(0, 300, 3)]]

    bridge.on_log_line("later")  # the next batch starts afresh
    qtbot.waitUntil(lambda: len(lines) == 2)
    assert lines[1] == ["later"]
    assert len(receipts) == 1


def test_job_events_reach_the_model_in_order_at_its_next_refresh(qtbot: Any) -> None:
    bridge = EngineBridge()
    model = _model(qtbot)
    model.set_progress_source(bridge.take_progress)
    bridge.sig_job_added.connect(model.add_job)
    bridge.sig_job_changed.connect(model.update_job)
    jobs = [make_job(size=1000) for _ in range(200)]

    def report(job_id: str, done: int) -> None:
        bridge.on_progress(job_id=job_id, bytes_done=done, total=1000, speed_bps=1.0, eta_seconds=1)

    def engine_thread() -> None:
        for job in jobs:
            bridge.on_job_added(job=job)
        for job in jobs[:50]:
            report(job.job_id, 900)  # superseded by the state change that follows
            bridge.on_job_changed(job=dataclasses.replace(job, state=JobState.UPLOADING))
            report(job.job_id, 300)  # reported after the change: the newest figure

    worker = threading.Thread(target=engine_thread)
    worker.start()
    worker.join()
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    model.flush()  # one refresh takes the 250 events and the progress, in order
    assert inserted == [(0, 199)]
    shown = model.jobs()
    assert [(j.state, j.bytes_done) for j in shown[:50]] == [(JobState.UPLOADING, 300)] * 50
    assert [(j.state, j.bytes_done) for j in shown[50:]] == [(JobState.QUEUED, 0)] * 150
    added: list[JobSnapshot] = []
    bridge.sig_job_added.connect(added.append)
    qtbot.wait(2 * BATCH_MS)  # the batch timer finds nothing left to hand over
    assert added == []


class _OneRoleAtATime(UploadQueueModel):
    """The model as Qt's default would read it: `data()` once per role."""

    multiData = QAbstractTableModel.multiData  # type: ignore[assignment]


def _rendered(qtbot: Any, model: UploadQueueModel) -> QImage:
    states = (JobState.UPLOADING, JobState.COMPLETED, JobState.FAILED, JobState.PAUSED)
    for n, state in enumerate(states * 3):
        model.add_job(
            make_job(
                job_id=f"render-{n}",
                path=f"/recordings/BIO-101/candidate-{n}_webcam.mp4",
                created_at=1.0,
                state=state,
                bytes_done=n * 100_000_000,
                speed_bps=2e6 if state is JobState.UPLOADING else 0.0,
                eta_seconds=90.0 if state is JobState.UPLOADING else None,
                error_title="Storage error" if state is JobState.FAILED else None,
            )
        )
    model.flush()
    view = QueueView(model, lambda _count: False)
    qtbot.addWidget(view)
    view.resize(1100, 500)
    view.table.selectRow(1)
    return view.grab().toImage()


def test_the_view_reads_each_cell_in_one_call_and_shows_the_same(qtbot: Any) -> None:
    calls: list[int] = []
    model = UploadQueueModel(refresh_ms=60_000)
    original = model.multiData

    def counted(
        index: QModelIndex | QPersistentModelIndex,
        roleDataSpan: QModelRoleDataSpan | QModelRoleData,
    ) -> None:
        calls.append(index.row())
        original(index, roleDataSpan)

    model.multiData = counted  # type: ignore[method-assign]
    ours = _rendered(qtbot, model)
    assert calls, "the view painted without asking multiData"
    assert ours == _rendered(qtbot, _OneRoleAtATime(refresh_ms=60_000))


def test_a_stream_of_added_files_is_shown_in_chunks_not_at_every_refresh(qtbot: Any) -> None:
    now = [100.0]
    model = UploadQueueModel(refresh_ms=60_000, insert_every_ms=1000, clock=lambda: now[0])
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    model.add_job(make_job())
    model.flush()
    assert inserted == [(0, 0)]  # the first file shows at once
    for _ in range(3):  # more files keep arriving, a refresh every 0.3 s
        now[0] += 0.3
        model.add_job(make_job())
        model.flush()
    assert inserted == [(0, 0)]
    assert model.rowCount() == 1
    assert model.summary.total == 1
    now[0] += 0.2  # over a second after the last insertion: the three waiting rows, in one go
    model.flush()
    assert inserted == [(0, 0), (1, 3)]
    assert model.summary.total == 4
