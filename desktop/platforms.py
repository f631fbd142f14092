"""What differs between Windows, macOS and Linux, as plain functions of the platform's name.

Each OS-specific choice takes `platform` (None: this computer's `sys.platform`), so every branch
is unit-tested on the Linux machine that runs the suite; the Windows and macOS CI jobs
(`.github/workflows/desktop-os.yml`) run the same tests, and the frozen app's self-test, on the real
systems. Qt-free.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import PurePath, PurePosixPath, PureWindowsPath

WINDOWS = "win32"
MACOS = "darwin"
LINUX = "linux"

#: Each platform's real keyring backends, best first: (module, class).
_KEYRING_BACKENDS: dict[str, tuple[tuple[str, str], ...]] = {
    LINUX: (("keyring.backends.SecretService", "Keyring"),),
    WINDOWS: (("keyring.backends.Windows", "WinVaultKeyring"),),
    MACOS: (("keyring.backends.macOS", "Keyring"),),
}

#: Modules a frozen build must contain for that platform's backend to work at all.
_KEYRING_MODULES: dict[str, tuple[str, ...]] = {
    LINUX: ("keyring.backends.SecretService", "secretstorage", "jeepney", "cryptography"),
    WINDOWS: ("keyring.backends.Windows", "win32ctypes.pywin32.win32cred"),
    MACOS: ("keyring.backends.macOS", "keyring.backends.macOS.api"),
}


def platform_key(platform: str | None = None) -> str:
    """`linux` for every Linux flavour (`linux`, `linux2`), else `sys.platform` as it is."""
    name = sys.platform if platform is None else platform
    return LINUX if name.startswith("linux") else name


def keyring_backends(platform: str | None = None) -> tuple[tuple[str, str], ...]:
    """The OS keyring backends the app expects on `platform`, best first: (module, class)."""
    return _KEYRING_BACKENDS.get(platform_key(platform), ())


def keyring_modules(platform: str | None = None) -> tuple[str, ...]:
    """The modules without which `platform`'s keyring backend cannot work (a frozen build must
    contain them)."""
    return _KEYRING_MODULES.get(platform_key(platform), ())


def _flavour(platform: str | None) -> type[PurePath]:
    return PureWindowsPath if platform_key(platform) == WINDOWS else PurePosixPath


def file_name(path: str, platform: str | None = None) -> str:
    r"""The last component of `path` by `platform`'s rules.

    On Windows that understands drive letters (`D:\Exams\webcam.mp4`, `D:webcam.mp4`), network
    shares (`\\server\share\screen.mkv`) and both separators; the name is what the backend stores
    the recording under, so it must never carry a drive or a folder.
    """
    return _flavour(platform)(path).name


def system_preset_path(
    platform: str | None = None, environ: Mapping[str, str] | None = None
) -> PurePath:
    """Where an IT admin deploys the system-wide preset (`config.toml`) on `platform`."""
    key = platform_key(platform)
    if key == WINDOWS:
        base = (os.environ if environ is None else environ).get("PROGRAMDATA") or r"C:\ProgramData"
        return PureWindowsPath(base, "ProctorUploader", "config.toml")
    if key == MACOS:
        return PurePosixPath("/Library/Application Support/ProctorUploader/config.toml")
    return PurePosixPath("/etc/proctor-uploader/config.toml")


def create_private_file(path: os.PathLike[str] | str) -> None:
    """Make sure the file at `path` exists and only its owner can read or write it (0600).

    For files another library creates with the umask's mode (0644 is usual), such as SQLite's
    database: call this first. SQLite then gives its `-wal` and `-shm` files the database's own
    mode. An existing file, perhaps from an older version, is tightened too. On Windows the mode
    only toggles read-only; the user's profile folder is what keeps other users out there.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    if platform_key() != WINDOWS:
        os.chmod(path, 0o600)
