"""Helpers for ``build.spec``: project metadata, Qt pruning, Windows and macOS metadata.

Kept out of the spec so they can be unit-tested (``tests/packaging/test_spec_support.py``) and
read without PyInstaller's spec globals. Nothing here imports the app: the spec must be able to
build on a machine where importing ``desktop`` would fail.

This folder is deliberately not a Python package (no ``__init__.py``): a top-level ``packaging``
package would shadow the PyPI ``packaging`` library that pip, setuptools and PyInstaller import.
The spec puts this folder on ``sys.path`` and imports ``spec_support`` directly.
"""

from __future__ import annotations

import plistlib
import re
import sys
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = [
    "BUNDLE_IDENTIFIER",
    "DISPLAY_NAME",
    "ProjectMeta",
    "app_languages",
    "info_plist",
    "keep_qt_file",
    "orphaned_libraries",
    "read_project",
    "version_tuple",
    "windows_version_info",
]

#: What people see: the macOS bundle name, the Windows file description. Equals ``desktop.APP_NAME``
#: (a test checks), but is repeated here because the spec must not import the app.
DISPLAY_NAME = "Proctor Uploader"
#: The macOS bundle identifier; an organisation that re-signs the app may set its own.
BUNDLE_IDENTIFIER = "org.proctoruploader.desktop"


@dataclass(frozen=True, slots=True)
class ProjectMeta:
    """What the build needs from ``pyproject.toml``.

    Attributes:
        name: The distribution name, also the executable's name (``proctor-uploader``).
        version: The version string (``0.1.0``).
        description: One-line description, for the Windows version resource.
    """

    name: str
    version: str
    description: str


def read_project(pyproject: Path) -> ProjectMeta:
    """Read name, version and description from ``pyproject.toml`` with :mod:`tomllib`.

    Raises:
        ValueError: The file has no static ``[project]`` name or version.
    """
    project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    name, version = project.get("name"), project.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        raise ValueError(f"{pyproject} needs a static [project] name and version")
    return ProjectMeta(name, version, str(project.get("description", "")))


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """The four numbers Windows version resources and ``CFBundleVersion`` need.

    ``0.1.0`` -> ``(0, 1, 0, 0)``; pre-release and local parts are dropped (``1.2.3rc1`` ->
    ``(1, 2, 3, 0)``), because Windows only accepts numbers.

    Raises:
        ValueError: The version does not start with a number.
    """
    match = re.match(r"^(\d+(?:\.\d+){0,3})", version.strip())
    if match is None:
        raise ValueError(f"version {version!r} does not start with a number")
    numbers = [int(part) for part in match.group(1).split(".")]
    numbers += [0] * (4 - len(numbers))
    return numbers[0], numbers[1], numbers[2], numbers[3]


def app_languages(translations: Path) -> list[str]:
    """Language codes the app ships catalogues for (``proctor_<code>.ts`` or ``.qm``)."""
    codes = {
        match.group(1)
        for path in translations.glob("proctor_*.*")
        if path.suffix in (".ts", ".qm") and (match := re.match(r"proctor_(\w+)$", path.stem))
    }
    return sorted(codes)


# -- Qt pruning ----------------------------------------------------------------------------------

#: Plugin folders the app needs; every other folder (tls, sqldrivers, egldeviceintegrations, ...)
#: is left out. Inside kept folders, _DROPPED_PLUGINS removes single plugins.
_KEPT_PLUGIN_TYPES = frozenset(
    {
        "platforms",
        "platformthemes",
        "platforminputcontexts",  # IBus/fcitx and compose keys: typing Korean exam ids
        "iconengines",  # SVG icons in menus and toolbars
        "imageformats",
        "styles",
        "xcbglintegrations",
        "wayland-decoration-client",
        "wayland-graphics-integration-client",
        "wayland-shell-integration",
    }
)

#: Plugins left out inside kept folders, by folder and name fragment. The GTK3 theme drags in GTK,
#: Cairo and Pango (about 20 MB) for native-looking dialogs; the app uses Fusion and Qt's dialogs.
#: Embedded-device platforms (eglfs, linuxfb, vnc, vkkhrdisplay) are never used on a desktop.
_DROPPED_PLUGINS: dict[str, tuple[str, ...]] = {
    "platforms": ("eglfs", "linuxfb", "vnc", "minimalegl", "vkkhrdisplay", "direct2d"),
    "platformthemes": ("gtk3",),
}

#: Image formats the app reads: SVG icons, ICO for Windows. PNG is built into QtGui.
_KEPT_IMAGE_FORMATS = ("svg", "ico")


def _qt_relative(dest: str) -> PurePosixPath | None:
    """The path below the Qt folder of a bundled file, or None when it is not a Qt file."""
    parts = PurePosixPath(dest.replace("\\", "/")).parts
    if len(parts) < 2 or parts[0] not in ("PySide6", "PyQt6"):
        return None
    # Linux and macOS wheels: PySide6/Qt/plugins/...; Windows wheels: PySide6/plugins/...
    rest = parts[2:] if parts[1] == "Qt" else parts[1:]
    return PurePosixPath(*rest) if rest else None


def keep_qt_file(dest: str, *, languages: Iterable[str]) -> bool:
    """Whether a file PyInstaller collected at ``dest`` belongs in the app.

    Non-Qt files are always kept. Qt plugins are kept by folder and name (see the tables above);
    Qt's translations only for ``qtbase_<lang>.qm`` of the app's languages (Qt's standard buttons
    and dialogs; the other ~200 catalogues translate Designer, Assistant and QML).

    Args:
        dest: The file's destination path inside the bundle (PyInstaller TOC name).
        languages: The app's language codes besides English.
    """
    relative = _qt_relative(dest)
    if relative is None or len(relative.parts) < 2:
        return True
    top, name = relative.parts[0], relative.name.lower()
    if top == "translations":
        return name in {f"qtbase_{code}.qm" for code in languages}
    if top != "plugins":
        return True
    kind = relative.parts[1]
    if kind not in _KEPT_PLUGIN_TYPES:
        return False
    if kind == "imageformats":
        return any(fmt in name for fmt in _KEPT_IMAGE_FORMATS)
    return not any(fragment in name for fragment in _DROPPED_PLUGINS.get(kind, ()))


def _basename(path: str) -> str:
    name = PurePosixPath(path.replace("\\", "/")).name
    return name.lower() if sys.platform == "win32" else name


def _closure(
    roots: Iterable[str], imports_of: Callable[[str], Iterable[tuple[str, str | None]]]
) -> set[str]:
    """Base names of the libraries reachable from ``roots`` (source paths) via ``imports_of``."""
    seen: set[str] = set()
    todo = list(roots)
    visited_paths: set[str] = set()
    while todo:
        path = todo.pop()
        if path in visited_paths:
            continue
        visited_paths.add(path)
        for name, resolved in imports_of(path):
            seen.add(_basename(resolved or name))
            if resolved:
                todo.append(resolved)
    return seen


def orphaned_libraries(
    kept: Iterable[tuple[str, str]],
    dropped: Iterable[tuple[str, str]],
    imports_of: Callable[[str], Iterable[tuple[str, str | None]]],
) -> set[str]:
    """Libraries that only the dropped binaries needed (e.g. GTK, once the GTK3 theme is gone).

    Args:
        kept: ``(dest, source path)`` of the binaries staying in the bundle.
        dropped: ``(dest, source path)`` of the binaries left out.
        imports_of: Link-time imports of a binary: ``(name, resolved path or None)`` pairs
            (PyInstaller's ``bindepend.get_imports``).

    Returns:
        Base names of libraries reachable from a dropped binary and from no other kept binary.
        PyInstaller lists those libraries among the kept binaries too (they were collected as
        dependencies), so the kept binaries that a dropped one reaches are not roots: they stay
        only when some other kept binary needs them.
    """
    reached_by_dropped = _closure((src for _, src in dropped), imports_of)
    roots = [(d, src) for d, src in kept if _basename(d) not in reached_by_dropped]
    needed = _closure((src for _, src in roots), imports_of) | {_basename(d) for d, _ in roots}
    return reached_by_dropped - needed


# -- macOS ---------------------------------------------------------------------------------------


def info_plist(meta: ProjectMeta, extra_plist: Path) -> dict[str, Any]:
    """The Info.plist keys for the macOS ``.app``: ``extra_plist``'s, plus the version fields.

    Args:
        meta: Name and version from ``pyproject.toml``.
        extra_plist: ``packaging/macos/Info.plist``: the keys we add to PyInstaller's own (usage
            descriptions, minimum macOS, category).
    """
    with extra_plist.open("rb") as handle:
        keys: dict[str, Any] = plistlib.load(handle)
    numbers = ".".join(str(n) for n in version_tuple(meta.version)[:3])
    keys.update(
        {
            "CFBundleName": DISPLAY_NAME,
            "CFBundleDisplayName": DISPLAY_NAME,
            "CFBundleShortVersionString": numbers,
            "CFBundleVersion": numbers,
        }
    )
    return keys


# -- Windows -------------------------------------------------------------------------------------


def windows_version_info(meta: ProjectMeta, out_file: Path) -> str:
    """Write the version resource of the Windows executables; return its path for ``EXE(version=)``.

    Explorer shows it under Properties > Details, and software inventories (SCCM, Intune) read the
    product name and version from it. The file is PyInstaller's version-file format (a Python
    expression of ``PyInstaller.utils.win32.versioninfo`` classes), written as text because that
    module needs ``pefile``, which PyInstaller installs on Windows only.
    """
    numbers = version_tuple(meta.version)
    strings = {
        "CompanyName": DISPLAY_NAME,
        "FileDescription": DISPLAY_NAME,
        "FileVersion": meta.version,
        "InternalName": meta.name,
        "OriginalFilename": f"{meta.name}.exe",
        "ProductName": DISPLAY_NAME,
        "ProductVersion": meta.version,
        "Comments": meta.description,
    }
    table = ",\n".join(f"          StringStruct({k!r}, {v!r})" for k, v in strings.items())
    text = f"""# UTF-8
VSVersionInfo(
  ffi=FixedFileInfo(filevers={numbers!r}, prodvers={numbers!r}, mask=0x3f, flags=0x0,
                    OS=0x40004, fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([
      StringTable('040904B0', [
{table}
      ])
    ]),
    VarFileInfo([VarStruct('Translation', [0x0409, 1200])])
  ]
)
"""
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(text, encoding="utf-8")
    return str(out_file)
