"""Settings every test shares: offscreen Qt, a private app home, no access to the real keyring."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Set before any test module imports Qt or keyring.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A test never reads or writes the keyring of whoever runs it; tests that need a real one start
# a private Secret Service (tests/support/secret_service.py) and select it explicitly.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


@pytest.fixture(autouse=True)
def app_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Redirect every app directory (config, data, logs, cache) into a fresh temporary folder."""
    home = tmp_path_factory.mktemp("app-home")
    monkeypatch.setenv("PROCTOR_UPLOADER_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def app_logging_removed() -> Iterator[None]:
    """Take away the log handlers an in-process run of the app, the CLI or the backend installed.

    Left on the root logger, a handler writing to a test's captured stderr (closed after that
    test) makes every later log call print "Logging error" tracebacks, failing unrelated tests.
    pytest's own capturing handlers come and go with each test phase and are left to pytest.
    """
    root = logging.getLogger()
    before, level = set(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in before and not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
