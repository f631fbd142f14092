"""Settings every test shares: offscreen Qt, a private app home, no access to the real keyring."""

from __future__ import annotations

import os
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
