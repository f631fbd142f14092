"""AppPaths: platformdirs by default, everything under PROCTOR_UPLOADER_HOME, private folders."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from desktop.config import HOME_ENV, PRESET_ENV, AppPaths, system_preset_path
from desktop.errors import StateStoreError


def folders(paths: AppPaths) -> list[Path]:
    return [paths.config_dir, paths.data_dir, paths.log_dir, paths.cache_dir, paths.receipts_dir]


def test_home_redirects_every_path(app_home: Path) -> None:
    paths = AppPaths.default()
    for path in [*folders(paths), paths.state_db, paths.config_file, paths.preset_file]:
        assert path is not None
        assert path.is_relative_to(app_home), path
    assert paths.config_file == paths.config_dir / "config.toml"
    assert paths.state_db.parent == paths.data_dir
    assert paths.preset_file == app_home / "preset.toml"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_folders_are_created_private(app_home: Path) -> None:
    paths = AppPaths.default()
    for folder in folders(paths):
        assert folder.is_dir()
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_existing_folders_are_made_private(app_home: Path) -> None:
    loose = app_home / "logs"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    AppPaths.default()
    assert stat.S_IMODE(loose.stat().st_mode) == 0o700


def test_create_false_creates_nothing(app_home: Path) -> None:
    paths = AppPaths.default(create=False)
    assert not any(folder.exists() for folder in folders(paths))
    paths.create()
    assert all(folder.is_dir() for folder in folders(paths))


def test_platformdirs_without_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HOME_ENV)
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    paths = AppPaths.default(create=False)
    assert paths.config_dir == tmp_path / "xdg_config_home" / "proctor-uploader"
    assert paths.data_dir == tmp_path / "xdg_data_home" / "proctor-uploader"
    assert paths.cache_dir == tmp_path / "xdg_cache_home" / "proctor-uploader"
    assert paths.log_dir.is_relative_to(tmp_path / "xdg_state_home" / "proctor-uploader")
    assert paths.preset_file == system_preset_path()


def test_preset_variable_wins(app_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PRESET_ENV, str(app_home / "deploy" / "org.toml"))
    assert AppPaths.default(create=False).preset_file == app_home / "deploy" / "org.toml"


def test_uncreatable_folder_is_a_state_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(HOME_ENV, str(blocker))
    with pytest.raises(StateStoreError) as info:
        AppPaths.default()
    assert "cannot be created" in info.value.message
