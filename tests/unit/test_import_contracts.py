"""The import contracts in pyproject.toml cover every module of `desktop`, so a new module cannot
slip past the Qt-free rule by not being listed."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path
from typing import Any

import desktop

ROOT = Path(__file__).resolve().parents[2]
#: The only modules that may import Qt: the window's package and the composition root.
QT_ALLOWED = {"desktop.ui", "desktop.app", "desktop.__main__"}


def _contract(name_start: str) -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["name"].startswith(name_start)]
    return contract


def _top_level_modules() -> set[str]:
    return {f"desktop.{m.name}" for m in pkgutil.iter_modules(desktop.__path__)}


def test_every_module_but_the_ui_and_the_composition_root_is_kept_free_of_qt() -> None:
    contract = _contract("Only the UI and the composition root import Qt")
    assert contract["type"] == "forbidden"
    assert not contract.get("allow_indirect_imports", False)
    assert {"PySide6", "shiboken6", "desktop.ui"} <= set(contract["forbidden_modules"])
    assert set(contract["source_modules"]) == _top_level_modules() - QT_ALLOWED


def test_the_layers_place_every_module() -> None:
    contract = _contract("Layers:")
    assert contract["exhaustive"] is True
    placed = {
        f"desktop.{name.strip()}" for layer in contract["layers"] for name in layer.split("|")
    }
    assert placed == _top_level_modules()
