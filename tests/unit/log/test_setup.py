"""setup_logging writes a private, redacted, rotating file; RecentLogBuffer feeds the log view."""

from __future__ import annotations

import logging
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.config import AppPaths
from desktop.errors import StateStoreError
from desktop.log import (
    LOG_FILE_NAME,
    RecentLogBuffer,
    RedactingFilter,
    _PrivateRotatingFileHandler,
    setup_logging,
)

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


@pytest.fixture
def root_logging() -> Iterator[logging.Logger]:
    """Give the test the root logger and put back its handlers and levels afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in ("urllib3", "botocore")}
    yield root
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)


def read(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_writes_a_private_redacted_file(root_logging: logging.Logger) -> None:
    paths = AppPaths.default()
    path = setup_logging(paths)
    assert path == paths.log_dir / LOG_FILE_NAME

    logging.getLogger("desktop.engine").info("signed %s", {"refresh_token": "r3fr3sh"})
    # Third-party records pass through the same handler filter.
    logging.getLogger("urllib3.connectionpool").warning(
        "PUT https://s3/b/k?X-Amz-Signature=deadbeef 403"
    )
    text = read(path)
    assert "r3fr3sh" not in text
    assert "deadbeef" not in text
    assert "'refresh_token': '[REDACTED]'" in text
    assert "PUT https://s3/b/k?[REDACTED] 403" in text
    assert " INFO " in text
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(paths.log_dir.stat().st_mode) == 0o700


def test_levels(root_logging: logging.Logger) -> None:
    path = setup_logging(AppPaths.default())
    logging.getLogger("desktop.engine").debug("hidden detail")
    logging.getLogger("urllib3.connectionpool").info("Starting new HTTPS connection")
    assert "hidden detail" not in read(path)
    assert "Starting new" not in read(path)
    assert logging.getLogger("urllib3").level == logging.WARNING
    assert logging.getLogger("botocore").level == logging.WARNING

    setup_logging(AppPaths.default(), verbose=True)
    logging.getLogger("desktop.engine").debug("now visible")
    logging.getLogger("urllib3.connectionpool").info("still quiet")
    text = read(path)
    assert "now visible" in text
    assert "still quiet" not in text


def test_a_second_setup_replaces_the_handlers(root_logging: logging.Logger) -> None:
    before = len(root_logging.handlers)
    buffer = RecentLogBuffer()
    setup_logging(AppPaths.default(), buffer=buffer)
    path = setup_logging(AppPaths.default(), stderr=True, buffer=buffer)
    assert len(root_logging.handlers) == before + 3  # file, stderr, buffer: once each
    assert all(
        sum(isinstance(f, RedactingFilter) for f in h.filters) == 1
        for h in root_logging.handlers[before:]
    )
    logging.getLogger("desktop").warning("once")
    assert read(path).count("once") == 1
    assert sum("once" in line for line in buffer.lines()) == 1


def test_stderr_is_redacted_too(
    root_logging: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging(AppPaths.default(), stderr=True)
    logging.getLogger("desktop").warning("Authorization: Bearer abc.def")
    err = capsys.readouterr().err
    assert "abc.def" not in err
    assert "Authorization: [REDACTED]" in err


def test_log_folder_that_cannot_be_written(root_logging: logging.Logger, tmp_path: Path) -> None:
    paths = AppPaths.default()
    (paths.log_dir / LOG_FILE_NAME).mkdir()  # the log file's name is taken by a folder
    with pytest.raises(StateStoreError) as info:
        setup_logging(paths)
    assert LOG_FILE_NAME in info.value.message


@posix_only
def test_rotated_files_stay_private(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("old\n")
    path.chmod(0o644)  # an older file created with a loose umask
    handler = _PrivateRotatingFileHandler(path, maxBytes=200, backupCount=2, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    try:
        for n in range(100):
            handler.emit(
                logging.LogRecord("t", logging.INFO, __file__, 1, f"line {n:03d}", (), None)
            )
    finally:
        handler.close()
    files = sorted(tmp_path.iterdir())
    assert [p.name for p in files] == ["app.log", "app.log.1", "app.log.2"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)


def test_buffer_keeps_the_newest_lines_and_notifies(root_logging: logging.Logger) -> None:
    buffer = RecentLogBuffer(capacity=3)
    seen: list[str] = []
    unsubscribe = buffer.subscribe(seen.append)
    logger = logging.getLogger("desktop.buffer-test")
    logger.addHandler(buffer)
    logger.setLevel(logging.INFO)
    try:
        for n in range(5):
            logger.info("line %d password=%s", n, "hunter2")
        unsubscribe()
        unsubscribe()  # twice is harmless
        logger.info("after unsubscribe")
    finally:
        logger.removeHandler(buffer)
    lines = buffer.lines()
    assert len(lines) == 3
    assert lines[0].endswith("line 3 password=[REDACTED]")
    assert lines[-1].endswith("after unsubscribe")
    assert len(seen) == 5
    assert all("hunter2" not in line for line in seen + lines)


def test_a_failing_subscriber_does_not_break_logging(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging, "raiseExceptions", True)
    buffer = RecentLogBuffer()
    received: list[str] = []

    def broken(line: str) -> None:
        raise RuntimeError("subscriber bug")

    buffer.subscribe(broken)
    buffer.handle(logging.LogRecord("t", logging.INFO, __file__, 1, "first", (), None))
    buffer.subscribe(received.append)
    assert buffer.lines()[-1].endswith("first")
    assert "subscriber bug" in capsys.readouterr().err  # logging's own handleError report
    assert received == []
