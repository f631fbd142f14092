"""The Windows and macOS workflow cannot run here; what it relies on is checked here instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from desktop import platforms

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "desktop-os.yml"
_RUNNER_PLATFORM = {"windows-latest": "win32", "macos-latest": "darwin"}


def _job() -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    job: dict[str, Any] = workflow["jobs"]["desktop"]
    return job


def _step(name: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = _job()["steps"]
    (step,) = [s for s in steps if s.get("name", "").startswith(name)]
    return step


def test_each_runner_expects_the_keyring_backend_the_app_expects_there() -> None:
    matrix = _job()["strategy"]["matrix"]["include"]
    assert {m["os"] for m in matrix} == set(_RUNNER_PLATFORM)
    for entry in matrix:
        (backend,) = platforms.keyring_backends(_RUNNER_PLATFORM[entry["os"]])
        assert entry["keyring"] == ".".join(backend)


def test_every_test_it_names_exists() -> None:
    words = _step("Qt-free tests")["run"].split()
    targets = [w for w in words if w.startswith("tests/")]
    assert "tests/unit/test_platforms.py" in targets
    for target in targets:
        path, _, test = target.partition("::")
        assert (ROOT / path).exists(), target
        if test:
            assert f"def {test}(" in (ROOT / path).read_text(), target


def test_it_builds_from_build_spec_and_checks_the_build() -> None:
    assert "build.spec" in _step("Build the installer")["run"]
    assert "packaging/check_build.py" in _step("Prove the build")["run"]
    assert "--keyring-roundtrip" in _step("Self-test with a keyring round trip")["run"]
