"""The pure helpers behind build.spec: metadata, Qt pruning, Windows and macOS metadata."""

from __future__ import annotations

import plistlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import desktop
from tests.packaging.tools import ROOT, load

spec_support = load("spec_support")


def test_name_and_version_come_from_pyproject_and_match_the_app() -> None:
    meta = spec_support.read_project(ROOT / "pyproject.toml")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    assert meta.name == "proctor-uploader" == desktop.APP_ID
    assert meta.version == desktop.__version__
    assert meta.name in project["scripts"]  # the executable keeps the console script's name
    assert spec_support.DISPLAY_NAME == desktop.APP_NAME


def test_pyproject_without_static_version_is_refused(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\ndynamic = ["version"]\n')

    with pytest.raises(ValueError, match="static"):
        spec_support.read_project(pyproject)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("2", (2, 0, 0, 0)),
        ("1.2.3.4", (1, 2, 3, 4)),
        ("1.2.3rc1", (1, 2, 3, 0)),
        ("1.10.0+local.7", (1, 10, 0, 0)),
    ],
)
def test_version_tuple(version: str, expected: tuple[int, int, int, int]) -> None:
    assert spec_support.version_tuple(version) == expected


def test_version_tuple_refuses_a_version_without_numbers() -> None:
    with pytest.raises(ValueError, match="number"):
        spec_support.version_tuple("dev")


def test_app_languages_come_from_the_catalogues(tmp_path: Path) -> None:
    for name in ("proctor_ko.ts", "proctor_ko.qm", "proctor_ja.ts", "proctor_en.qm", "notes.txt"):
        (tmp_path / name).write_text("")

    assert spec_support.app_languages(tmp_path) == ["en", "ja", "ko"]


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        # Linux/macOS wheel layout
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
        ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", True),
        ("PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so", True),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", True),
        ("PySide6/Qt/plugins/imageformats/libqjpeg.so", False),
        ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", True),
        ("PySide6/Qt/plugins/tls/libqopensslbackend.so", False),
        ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", False),
        ("PySide6/Qt/translations/qtbase_ko.qm", True),
        ("PySide6/Qt/translations/qtbase_de.qm", False),
        ("PySide6/Qt/translations/qt_ko.qm", False),
        ("PySide6/Qt/translations/designer_ko.qm", False),
        ("PySide6/Qt/lib/libQt6Core.so.6", True),
        # Windows wheel layout
        ("PySide6\\plugins\\platforms\\qwindows.dll", True),
        ("PySide6\\plugins\\platforms\\qdirect2d.dll", False),
        ("PySide6\\plugins\\imageformats\\qico.dll", True),
        ("PySide6\\translations\\qtbase_ko.qm", True),
        # not Qt at all
        ("libssl.so.3", True),
        ("resources/translations/proctor_ko.qm", True),
        ("certifi/cacert.pem", True),
    ],
)
def test_keep_qt_file(dest: str, kept: bool) -> None:
    assert spec_support.keep_qt_file(dest, languages=["ko"]) is kept


def test_orphans_are_libraries_only_dropped_plugins_needed() -> None:
    graph = {
        "/src/QtGui.so": [("libQt6Gui.so.6", "/lib/libQt6Gui.so.6")],
        "/lib/libQt6Gui.so.6": [("libglib.so", "/lib/libglib.so")],
        "/src/libqgtk3.so": [
            ("libQt6Gui.so.6", "/lib/libQt6Gui.so.6"),
            ("libgtk-3.so.0", "/lib/libgtk-3.so.0"),
            ("libmissing.so", None),
        ],
        "/lib/libgtk-3.so.0": [
            ("libcairo.so.2", "/lib/libcairo.so.2"),
            ("libglib.so", "/lib/libglib.so"),
        ],
        "/lib/libcairo.so.2": [],
        "/lib/libglib.so": [],
    }
    kept = [
        ("PySide6/QtGui.so", "/src/QtGui.so"),
        ("libQt6Gui.so.6", "/lib/libQt6Gui.so.6"),
        ("libglib.so", "/lib/libglib.so"),
        # PyInstaller also lists the plugin's own dependencies among the binaries it collected:
        ("libgtk-3.so.0", "/lib/libgtk-3.so.0"),
        ("libcairo.so.2", "/lib/libcairo.so.2"),
    ]
    dropped = [("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/src/libqgtk3.so")]

    orphans = spec_support.orphaned_libraries(kept, dropped, lambda path: graph.get(path, []))

    assert orphans == {"libgtk-3.so.0", "libcairo.so.2", "libmissing.so"}


def test_info_plist_adds_versions_to_our_keys() -> None:
    meta = spec_support.ProjectMeta("proctor-uploader", "1.2.3rc1", "")

    keys = spec_support.info_plist(meta, ROOT / "packaging" / "macos" / "Info.plist")

    assert keys["CFBundleShortVersionString"] == keys["CFBundleVersion"] == "1.2.3"
    assert keys["CFBundleDisplayName"] == "Proctor Uploader"
    assert keys["NSRemovableVolumesUsageDescription"]
    assert keys["LSMinimumSystemVersion"] == "13.0"
    plistlib.loads(plistlib.dumps(keys))  # every value is plist-serialisable


def test_entitlements_are_a_valid_plist_asking_only_what_cffi_needs() -> None:
    with (ROOT / "packaging" / "macos" / "entitlements.plist").open("rb") as handle:
        entitlements = plistlib.load(handle)

    assert entitlements == {"com.apple.security.cs.allow-unsigned-executable-memory": True}


def test_windows_version_file_parses_with_pyinstaller(tmp_path: Path) -> None:
    meta = spec_support.ProjectMeta("proctor-uploader", "0.1.0", "Uploads exam recordings.")
    path = spec_support.windows_version_info(meta, tmp_path / "version_info.txt")
    # PyInstaller's parser module imports pefile and win32api, which exist on Windows only; the
    # parser itself uses neither, so stand-in modules let it run here.
    script = (
        "import sys, types; sys.modules['pefile'] = types.ModuleType('pefile');"
        "import PyInstaller.compat as c; c.win32api = types.ModuleType('win32api');"
        "from PyInstaller.utils.win32 import versioninfo as v;"
        "info = v.load_version_info_from_text_file(sys.argv[1]);"
        "raw = info.toRaw(); text = str(info);"
        "print(hex(info.ffi.fileVersionMS), hex(info.ffi.fileVersionLS), len(raw) > 0);"
        "print('ProductName' in text and 'Proctor Uploader' in text)"
    )

    done = subprocess.run(
        [sys.executable, "-c", script, path], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0x1", "0x0", "True", "True"]


def test_the_app_never_imports_what_the_bundle_leaves_out() -> None:
    # build.spec excludes these; if any desktop module imported one, the frozen app would fail
    # with ModuleNotFoundError where the source checkout works.
    script = (
        "import importlib, pkgutil, sys, desktop\n"
        "for m in pkgutil.walk_packages(desktop.__path__, 'desktop.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(' '.join(sorted({n.split('.')[0] for n in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())

    excluded = {
        "backend", "tests", "moto", "boto3", "botocore", "fastapi", "starlette", "uvicorn",
        "pydantic", "argon2", "pytest", "hypothesis", "keyrings", "pygments",
        "markdown_it", "tkinter", "setuptools", "pkg_resources",
    }  # fmt: skip
    assert "desktop" in loaded
    assert "PySide6" in loaded  # the walk really reached the UI
    assert not loaded & excluded
