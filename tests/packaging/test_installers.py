"""The installer pieces: icons for every platform, the Linux menu entry, install.sh and presets."""

from __future__ import annotations

import configparser
import dataclasses
import os
import shutil
import stat
import struct
import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from desktop.config import AppConfig, AppPaths
from tests.packaging.tools import ROOT, load

icons = load("icons")
LINUX = ROOT / "packaging" / "linux"
NAME = "proctor-uploader"


@pytest.fixture(scope="module")
def icon_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return icons.write_icons(tmp_path_factory.mktemp("icons"))  # type: ignore[no-any-return]


def _png_size(data: bytes) -> tuple[int, int]:
    image = QImage.fromData(data)
    assert not image.isNull()
    return image.width(), image.height()


def test_ico_holds_every_size_as_a_decodable_png(icon_files: dict[str, Path]) -> None:
    data = icon_files["ico"].read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind, count) == (0, 1, len(icons.ICO_SIZES))
    seen = []
    for index in range(count):
        width, height, _, _, planes, bits, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * index
        )
        size = width or 256
        assert (width, planes, bits) == (height, 1, 32)
        assert _png_size(data[offset : offset + length]) == (size, size)
        seen.append(size)
    assert seen == sorted(icons.ICO_SIZES)


def test_icns_holds_every_retina_size_as_a_decodable_png(icon_files: dict[str, Path]) -> None:
    data = icon_files["icns"].read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack_from(">I", data, 4)[0] == len(data)
    offset, seen = 8, {}
    while offset < len(data):
        kind = data[offset : offset + 4]
        length = struct.unpack_from(">I", data, offset + 4)[0]
        seen[kind] = _png_size(data[offset + 8 : offset + length])
        offset += length
    assert seen == {kind: (size, size) for kind, size in icons.ICNS_TYPES}


def test_hicolor_pngs_are_not_blank(icon_files: dict[str, Path]) -> None:
    image = QImage(str(icon_files["png48"]))
    assert (image.width(), image.height()) == (48, 48)
    centre = image.pixelColor(24, 24)
    corner = image.pixelColor(0, 0)
    assert centre.alpha() == 255  # the rounded square is drawn...
    assert corner.alpha() < 255  # ...and the corners stay transparent


def test_desktop_entry_launches_the_installed_command_with_its_icon() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(LINUX / f"{NAME}.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]

    assert entry["Type"] == "Application"
    assert entry["Name"] == "Proctor Uploader"
    # The app treats arguments as CLI subcommands, so the menu entry passes none (no %F).
    assert entry["Exec"] == NAME
    assert entry["Icon"] == NAME
    assert entry["StartupWMClass"] == NAME  # desktop.app sets this desktop file name
    assert entry["Terminal"] == "false"
    categories = entry["Categories"].rstrip(";").split(";")
    assert "Education" in categories
    assert "Network" in categories  # FileTransfer requires it as a main category
    assert entry["Comment[ko]"]


def _fake_build(folder: Path) -> Path:
    """A stand-in one-folder build: install.sh copies files, it never runs the app."""
    folder.mkdir()
    exe = folder / NAME
    exe.write_text("#!/bin/sh\necho fake\n")
    exe.chmod(0o755)
    (folder / "_internal").mkdir()
    (folder / "_internal" / "marker").write_text("bundle")
    for path in (LINUX / "install.sh", LINUX / f"{NAME}.desktop"):
        shutil.copy2(path, folder / path.name)
    shutil.copy2(ROOT / "resources" / "icons" / "app.svg", folder / f"{NAME}.svg")
    (folder / "icons").mkdir()
    (folder / "icons" / f"{NAME}-48.png").write_bytes(b"png")
    return folder


def _install(build: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(build / "install.sh"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_install_sh_stages_app_menu_entry_icons_and_a_locked_preset(tmp_path: Path) -> None:
    build = _fake_build(tmp_path / "build")
    root = tmp_path / "root"

    done = _install(build, "--root", str(root), "--server-url", "https://up.example.edu", "--lock")

    assert done.returncode == 0, done.stderr
    app = root / "opt" / NAME
    assert (app / "_internal" / "marker").read_text() == "bundle"
    assert os.access(app / NAME, os.X_OK)
    assert os.readlink(root / "usr" / "local" / "bin" / NAME) == f"/opt/{NAME}/{NAME}"
    assert (root / "usr/share/applications" / f"{NAME}.desktop").is_file()
    assert (root / "usr/share/icons/hicolor/scalable/apps" / f"{NAME}.svg").is_file()
    assert (root / "usr/share/icons/hicolor/48x48/apps" / f"{NAME}.png").is_file()
    preset = root / "etc" / NAME / "config.toml"
    assert stat.S_IMODE(preset.stat().st_mode) == 0o644  # every user's app reads it

    # The app reads what the installer wrote: locked to the server, whatever the user saved.
    paths = dataclasses.replace(AppPaths.default(create=True), preset_file=preset)
    AppConfig(server_url="https://elsewhere.example.edu").save(paths.config_file)
    config = AppConfig.load_layered(paths, environ={})
    assert config.server_url == "https://up.example.edu"
    assert config.server_url_locked


def test_install_sh_upgrade_replaces_the_app_and_uninstall_keeps_the_preset(
    tmp_path: Path,
) -> None:
    build = _fake_build(tmp_path / "build")
    root = tmp_path / "root"
    assert (
        _install(build, "--root", str(root), "--server-url", "https://up.example.edu").returncode
        == 0
    )
    stale = root / "opt" / NAME / "_internal" / "from-the-old-version"
    stale.write_text("old")

    assert _install(build, "--root", str(root)).returncode == 0
    assert not stale.exists()
    assert not (root / "opt" / f"{NAME}.old").exists()

    done = _install(build, "--root", str(root), "--uninstall")
    assert done.returncode == 0, done.stderr
    assert not (root / "opt" / NAME).exists()
    assert not (root / "usr" / "local" / "bin" / NAME).is_symlink()
    assert not (root / "usr/share/applications" / f"{NAME}.desktop").exists()
    assert (root / "etc" / NAME / "config.toml").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--server-url", "ftp://up.example.edu"], "must start with https://"),
        (["--server-url", 'https://up.example.edu/"x'], "may not contain quotes"),
        (["--lock"], "--lock needs --server-url"),
        (["--prefix", "relative/dir"], "absolute path"),
        (["--frobnicate"], "unknown option"),
    ],
)
def test_install_sh_refuses_bad_arguments_before_touching_anything(
    tmp_path: Path, args: list[str], message: str
) -> None:
    build = _fake_build(tmp_path / "build")
    root = tmp_path / "root"

    done = _install(build, "--root", str(root), *args)

    assert done.returncode == 2
    assert message in done.stderr
    assert not root.exists()
