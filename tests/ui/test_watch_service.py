"""The watch folder in the app: growing files wait, settled ones queue once, even after restarts."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop.engine.events import JobState
from desktop.ui.queue_model import status_text
from desktop.ui.watch_service import WatchService
from tests.support.recorder import RecorderProcess
from tests.support.storage import S3Endpoint
from tests.ui.harness import (
    MIB,
    Harness,
    UiStack,
    signed_in_config,
    ui_stack,
    write_recording,
)


class FakeClock:
    """The settle time is measured with this clock, which only the test advances."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _scan(qtbot: Any, service: WatchService) -> int:
    with qtbot.waitSignal(service.sig_scan_finished, timeout=10_000) as finished:
        service.scan_now()
    count: int = finished.args[0]
    return count


def test_a_growing_file_is_not_queued_until_it_stops_growing(qtbot: Any, tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    recording = folder / "2024-05-01" / "webcam.mp4"
    recording.parent.mkdir(parents=True)
    recording.write_bytes(b"\0" * 1000)
    clock = FakeClock()
    service = WatchService(tmp_path / "data" / "watch.json", interval_ms=3_600_000, clock=clock)
    found: list[list[str]] = []
    service.sig_recordings_found.connect(found.append)
    try:
        service.configure(enabled=True, folder=str(folder), settle_seconds=10)
        assert _scan(qtbot, service) == 0
        for _ in range(6):  # the recorder keeps writing for a minute
            clock.now += 9
            with recording.open("ab") as handle:
                handle.write(b"\1" * 4096)
            assert _scan(qtbot, service) == 0
        clock.now += 9.5  # stopped growing, but not for long enough yet
        assert _scan(qtbot, service) == 0
        clock.now += 1
        assert _scan(qtbot, service) == 1
        assert found == [[str(recording)]]
        # While the app is adding it, later scans do not report it again.
        assert _scan(qtbot, service) == 0
        service.mark_queued([str(recording)])
        assert _scan(qtbot, service) == 0
    finally:
        service.stop()


def test_released_files_are_offered_again(qtbot: Any, tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    write_recording(folder / "screen.mkv", 1000)
    service = WatchService(tmp_path / "watch.json", interval_ms=3_600_000, clock=FakeClock())
    try:
        service.configure(enabled=True, folder=str(folder), settle_seconds=0)
        with qtbot.waitSignal(service.sig_recordings_found) as first:
            service.scan_now()
        service.release(first.args[0])  # e.g. not signed in yet
        assert _scan(qtbot, service) == 1
    finally:
        service.stop()


@pytest.mark.integration
@pytest.mark.slow
def test_watched_recordings_upload_once_across_restarts(
    harness_factory: Callable[..., Harness], stack: UiStack, qtbot: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "Recordings"
    config = signed_in_config(
        stack,
        watch_enabled=True,
        watch_path=str(folder),
        watch_exam_id="LAW-3",
        watch_kind="other",
        watch_settle_seconds=1,
    )
    first = harness_factory(config)
    controller = first.controller
    controller.watch._timer.setInterval(100)
    controller.start_signed_in(stack.url, stack.username, stack.password)
    controller.watch.configure(enabled=True, folder=str(folder), settle_seconds=1)
    qtbot.waitUntil(lambda: controller.queue is not None, timeout=60_000)
    video = write_recording(folder / "room-4" / "candidate_screen.mp4", 2 * MIB)
    qtbot.waitUntil(
        lambda: any(j.state is JobState.COMPLETED for j in controller.model.jobs()),
        timeout=60_000,
    )
    [job] = controller.model.jobs()
    assert (job.path, job.exam_id, job.kind) == (str(video), "LAW-3", "screen")
    assert controller.window.watch_button.text() == "Watching Recordings"
    controller.quit()

    # A restart: the record says the file was queued, so it is never queued again.
    second = harness_factory(dataclasses.replace(config))
    again = second.controller
    again.watch._timer.setInterval(100)
    again.start_signed_in(stack.url, stack.username, stack.password)
    qtbot.waitUntil(lambda: again.queue is not None, timeout=60_000)
    scans: list[int] = []
    again.watch.sig_scan_finished.connect(scans.append)
    qtbot.waitUntil(lambda: len(scans) >= 5, timeout=30_000)
    assert sum(scans) == 0
    assert [j.path for j in again.model.jobs()] == [str(video)]  # the finished job, reloaded


@pytest.mark.integration
@pytest.mark.slow
def test_a_new_recording_in_the_watched_folder_is_followed_while_it_is_recorded(
    harness_factory: Callable[..., Harness], moto_s3: S3Endpoint, qtbot: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "Recordings"
    folder.mkdir()
    # Open uploads may use 5 MiB parts here, so a few seconds of recording span several parts.
    with ui_stack(moto_s3, tmp_path / "backend", open_upload_capacity=40 * 1024**3) as stack:
        config = signed_in_config(
            stack,
            watch_enabled=True,
            watch_path=str(folder),
            watch_exam_id="LAW-3",
            watch_kind="other",
            watch_settle_seconds=30,
        )
        controller = harness_factory(config).controller
        controller.watch._timer.setInterval(100)
        controller.start_signed_in(stack.url, stack.username, stack.password)
        qtbot.waitUntil(lambda: controller.queue is not None, timeout=60_000)
        path = folder / "candidate_webcam.mkv"
        shown: list[str] = []

        def recording_shown() -> bool:
            shown.extend(status_text(j) for j in controller.model.jobs() if j.bytes_done > 0)
            return any(text.startswith("Recording — ") for text in shown)

        with RecorderProcess(path, "mkv", seconds=5.0, rate=4_000_000) as recorder:
            qtbot.waitUntil(recording_shown, timeout=30_000)
            [job] = controller.model.jobs()
            assert job.following
            assert recorder.running, "the row showed bytes sent before the recording ended"
            qtbot.waitUntil(lambda: not recorder.running, timeout=30_000)
        qtbot.waitUntil(
            lambda: any(j.state is JobState.COMPLETED for j in controller.model.jobs()),
            timeout=60_000,
        )
        [job] = controller.model.jobs()
        assert (job.kind, job.size) == ("webcam", path.stat().st_size)
        queue = controller.queue
        assert queue is not None
        [receipt] = queue.receipts()
        assert receipt.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        controller.quit()
