"""The one place that turns the user's settings into the engine's."""

from __future__ import annotations

from desktop import wiring
from desktop.config import PARALLEL_FILES_RANGE, PARALLEL_PARTS_RANGE, AppConfig
from desktop.engine.config import MAX_FILES, MAX_PARTS, MIB


def test_the_most_the_settings_allow_still_builds_an_engine() -> None:
    # 16 files x 32 parts each asked the engine for 512 parts in flight, beyond its 256: the app
    # could not start its queue. The parts in flight are capped at the engine's bound.
    most = AppConfig(parallel_files=PARALLEL_FILES_RANGE[1], parallel_parts=PARALLEL_PARTS_RANGE[1])
    transfer = wiring.transfer_config(most)
    assert transfer.files == PARALLEL_FILES_RANGE[1] <= MAX_FILES
    assert transfer.parts == MAX_PARTS
    assert wiring.concurrency(most) == (transfer.files, transfer.parts)


def test_settings_become_engine_settings() -> None:
    config = AppConfig(parallel_files=3, parallel_parts=4, part_size_mib=0, bandwidth_limit_kib=100)
    transfer = wiring.transfer_config(config)
    assert (transfer.files, transfer.parts) == (3, 12)
    assert transfer.part_size == wiring.DEFAULT_PART_SIZE_MIB * MIB
    assert transfer.bandwidth_limit == 100 * 1024
    # The CLI's options win over the settings.
    cli = wiring.transfer_config(config, files=1, parts=2, bandwidth_limit=0)
    assert (cli.files, cli.parts, cli.bandwidth_limit) == (1, 2, 0)
