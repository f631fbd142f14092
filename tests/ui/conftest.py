"""pytest-qt tests of the desktop app: every test here is marked `gui` and runs offscreen."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.engine.events import JobSnapshot, JobState

_HERE = Path(__file__).parent
_ids = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _ui_state_reset(qapp: Any) -> Iterator[None]:
    """Each test starts in English and leaves no background task running."""
    from desktop.ui import i18n
    from desktop.ui.tasks import shutdown_background_tasks

    i18n.apply_language("en")
    yield
    shutdown_background_tasks(timeout=30)
    i18n.apply_language("en")


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
def job_factory() -> Callable[..., JobSnapshot]:
    return make_job


# Real servers on 127.0.0.1 (moto S3 + the backend under uvicorn) and a real Secret Service.
from tests.support.fixtures import (  # noqa: E402, F401 - fixtures used by this folder's tests
    account,
    api_backend,
    moto_s3,
    secret_service_keyring,
    use_secret_service,
)
