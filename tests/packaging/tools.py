"""Helpers for the packaging tests: the tools in ``packaging/`` and running the self-test.

``packaging/`` is a folder, not a package (see packaging/spec_support.py), so its tools are loaded
from their files.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def load(name: str) -> ModuleType:
    """Import ``packaging/<name>.py`` once, under a name that cannot shadow anything."""
    key = f"_proctor_packaging_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, PACKAGING / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def run_self_test(
    home: Path, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m desktop --self-test ARGS`` from source, in the clean environment of CI builds."""
    check_build = load("check_build")
    env = check_build.clean_env(home, extra_env)
    return subprocess.run(
        [sys.executable, "-m", "desktop", "--self-test", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=300,
        check=False,
    )


def check_lines(output: str) -> dict[str, str]:
    """The self-test's check lines by check name: ``{"keyring": "ok    keyring  ..."}``."""
    lines = {}
    for line in output.splitlines():
        verdict, _, rest = line.partition(" ")
        if verdict in ("ok", "FAIL") and rest.strip():
            lines[rest.split()[0]] = line
    return lines
