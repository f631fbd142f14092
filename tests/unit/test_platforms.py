"""Every OS-specific choice, for each OS, on this machine (the Windows and macOS CI run them
for real)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from keyring.backend import KeyringBackend

from backend.keys import validate_filename
from desktop import platforms
from desktop.selftest import missing_keyring_modules, reachable_platform_backend

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("platform", "key"),
    [("linux", "linux"), ("linux2", "linux"), ("win32", "win32"), ("darwin", "darwin")],
)
def test_platform_key(platform: str, key: str) -> None:
    assert platforms.platform_key(platform) == key


@pytest.mark.parametrize(
    "path",
    [
        r"D:\Exams\BIO-101\webcam_01.mp4",
        r"d:\exams\webcam_01.mp4",
        "D:webcam_01.mp4",  # relative to drive D's current folder
        "D:/Exams/webcam_01.mp4",
        r"\\fileserver\recordings\BIO-101\webcam_01.mp4",
        r"\\?\C:\Very\Long\Path\webcam_01.mp4",
    ],
)
def test_a_windows_path_gives_the_bare_name_the_backend_accepts(path: str) -> None:
    name = platforms.file_name(path, "win32")
    assert name == "webcam_01.mp4"
    assert validate_filename(name) == name


def test_elsewhere_a_backslash_is_part_of_the_name() -> None:
    # On Linux and macOS `\` is an ordinary character; the backend then makes the name key-safe.
    assert platforms.file_name(r"/home/p/odd\name.mp4", "linux") == r"odd\name.mp4"
    assert platforms.file_name("/Users/p/Exams/webcam.mp4", "darwin") == "webcam.mp4"


def test_system_preset_path_per_os() -> None:
    assert platforms.system_preset_path("win32", {"PROGRAMDATA": r"D:\ProgramData"}) == (
        PureWindowsPath(r"D:\ProgramData\ProctorUploader\config.toml")
    )
    assert platforms.system_preset_path("win32", {}) == PureWindowsPath(
        r"C:\ProgramData\ProctorUploader\config.toml"
    )
    assert platforms.system_preset_path("darwin", {}) == PurePosixPath(
        "/Library/Application Support/ProctorUploader/config.toml"
    )
    assert platforms.system_preset_path("linux", {}) == PurePosixPath(
        "/etc/proctor-uploader/config.toml"
    )


@pytest.mark.parametrize("platform", ["win32", "darwin", "linux"])
def test_each_os_names_a_real_keyring_backend_the_build_collects(platform: str) -> None:
    (backend,) = platforms.keyring_backends(platform)
    module_name, class_name = backend
    # A misspelt name would only show on that OS, in a frozen build: import it here.
    backend_class = getattr(importlib.import_module(module_name), class_name)
    assert issubclass(backend_class, KeyringBackend)
    assert module_name in platforms.keyring_modules(platform)
    assert f'"{module_name}"' in (ROOT / "build.spec").read_text()


@pytest.mark.parametrize(
    "platform",
    [p for p in ("win32", "darwin", "linux") if p != platforms.platform_key()],
)
def test_another_os_backend_is_never_reachable_here(platform: str) -> None:
    label, why_not = reachable_platform_backend(platform)
    assert label is None
    assert why_not


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="names Linux's installation")
def test_this_installation_has_what_linux_keyrings_need_but_not_windows() -> None:
    assert missing_keyring_modules("linux") == []
    assert missing_keyring_modules("win32") == ["win32ctypes.pywin32.win32cred"]


def test_an_unknown_platform_expects_no_keyring() -> None:
    assert platforms.keyring_backends("sunos5") == ()
    assert missing_keyring_modules("sunos5") == []
