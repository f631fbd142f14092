"""pytest-qt tests of the desktop app: every test here is marked `gui` and runs offscreen."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.engine.events import JobSnapshot, JobState
from tests.support.fixtures import (  # noqa: F401 - fixtures for this folder's tests
    account,
    api_backend,
    moto_s3,
    secret_service_keyring,
    use_secret_service,
)
from tests.support.storage import S3Endpoint
from tests.ui.harness import Harness, UiStack, close_harness, make_harness, ui_stack

_HERE = Path(__file__).parent
_ids = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.gui)


# Threads the app starts; none may outlive the test that started them (a leftover thread
# makes the next test flaky).
_APP_THREADS = ("ui-task", "engine-commands", "watch-folder", "keep-awake")


@pytest.fixture(autouse=True)
def _ui_state_reset(qapp: Any) -> Iterator[None]:
    """Each test starts in English and leaves no app thread or background task running."""
    from desktop.ui.tasks import shutdown_background_tasks
    from desktop.ui.text import i18n

    i18n.apply_language("en")
    yield
    shutdown_background_tasks(timeout=30)
    i18n.apply_language("en")
    deadline = time.monotonic() + 10
    while True:
        left = [t.name for t in threading.enumerate() if t.name.startswith(_APP_THREADS)]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)  # threads that were told to stop finish their last step
    assert not left, f"threads left running: {left}"
    _delete_what_was_handed_to_delete_later()


def _delete_what_was_handed_to_delete_later() -> None:
    # deleteLater() acts only inside an event loop, and most tests never run one: what a test closed
    # that way (windows, controllers, their timers) would live on into later tests and be deleted
    # at some later processEvents, or fire a timer there first. One CI run segfaulted in
    # pytest-qt's processEvents during an engine unit test long after the UI tests had finished.
    # Deleting it here keeps a test's objects inside the test that made them.
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


def main_window(qtbot: Any, *, shown: bool = True, active: bool = False) -> tuple[Any, Any]:
    """The real main window and its queue model, one job uploading; `shown` at 1000 x 600 and
    exposed, `active` also the active window (keyboard focus)."""
    from desktop.ui.queue_model import UploadQueueModel
    from desktop.ui.views.main_window import MainWindow

    model = UploadQueueModel(refresh_ms=60_000)
    model.add_job(make_job(state=JobState.UPLOADING, bytes_done=10, speed_bps=2048.0))
    model.flush()
    window = MainWindow(model, log_lines=[], log_path=None)
    qtbot.addWidget(window)
    if shown or active:
        window.resize(1000, 600)
        window.show()
        qtbot.waitExposed(window)
    if active:
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
    return window, model


def make_job(**overrides: Any) -> JobSnapshot:
    """A realistic job snapshot; keyword arguments override fields."""
    n = next(_ids)
    values: dict[str, Any] = {
        "job_id": f"job-{n}",
        "path": f"/recordings/exam-{n}/webcam-{n}.mp4",
        "size": 1_500_000_000,
        "exam_id": "BIO-101",
        "kind": "webcam",
        "state": JobState.QUEUED,
        "bytes_done": 0,
        "speed_bps": 0.0,
        "eta_seconds": None,
        "error_title": None,
        "error_message": None,
        "key": None,
        "priority": 0,
        "created_at": time.time(),
    }
    values.update(overrides)
    return JobSnapshot(**values)


@pytest.fixture
def harness_factory(qtbot: Any) -> Iterator[Callable[..., Harness]]:
    """`harness_factory(config=None, tray=False, **engine_overrides)` -> a running Harness."""
    made: list[Harness] = []

    def factory(*args: Any, **kwargs: Any) -> Harness:
        harness = make_harness(*args, **kwargs)
        made.append(harness)
        return harness

    yield factory
    for harness in made:
        close_harness(harness)


@pytest.fixture
def stack(moto_s3: S3Endpoint, tmp_path: Path) -> Iterator[UiStack]:  # noqa: F811
    """A backend presigning against a fault proxy in front of moto, with account `proctor`."""
    with ui_stack(moto_s3, tmp_path / "backend") as running:
        yield running
