"""The real thing: ``packaging/build.sh`` builds the one-folder app and proves it works.

build.sh runs PyInstaller on build.spec, then check_build.py: ``--version``, ``status``, and
``--self-test`` plainly, on X11 (xvfb-run) and inside a private real Secret Service with a keyring
round trip. One build (about half a minute of CPU) serves every test in this module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PyInstaller.archive.readers import CArchiveReader  # type: ignore[import-untyped]

from desktop import __version__
from tests.packaging.tools import ROOT, check_lines, load

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="CI builds on Linux"),
]

NAME = "proctor-uploader"
MAX_BYTES = 150_000_000  # issue 5: aim at 150 MB or less for the one-folder app


class Build:
    """The finished build and what build.sh printed."""

    def __init__(self, folder: Path, output: str, returncode: int) -> None:
        self.folder = folder
        self.executable = folder / NAME
        self.internal = folder / "_internal"
        self.output = output
        self.returncode = returncode

    def section(self, title: str) -> str:
        """What build.sh printed under the check step ``title``."""
        _, _, rest = self.output.partition(f"== {title}: ")
        assert rest, f"no step {title!r} in:\n{self.output}"
        return rest.split("\n== ", 1)[0]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    base = tmp_path_factory.mktemp("pyinstaller")
    done = subprocess.run(
        [str(ROOT / "packaging" / "build.sh"), "--dist", str(base / "dist"), "--work", str(base)],
        env={k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=1800,
        check=False,
    )
    return Build(base / "dist" / NAME, done.stdout, done.returncode)


def test_build_sh_builds_and_every_check_passes(build: Build) -> None:
    assert build.returncode == 0, build.output
    assert build.output.rstrip().endswith("build check passed")
    assert build.section("--version").splitlines()[1] == f"{NAME} {__version__}"
    plain = check_lines(build.section("--self-test"))
    assert all(line.startswith("ok") for line in plain.values()), build.output
    assert "(frozen;" in build.section("--self-test")


def test_the_frozen_app_finds_the_real_secret_service(build: Build) -> None:
    output = build.section("--self-test --keyring-roundtrip in a real Secret Service")
    keyring_line = check_lines(output)["keyring"]

    assert keyring_line.startswith("ok")
    assert "keyring.backends.SecretService.Keyring" in keyring_line
    assert "stored, read back and deleted a test entry" in keyring_line


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (Debian xvfb)")
def test_the_frozen_app_opens_its_window_on_a_real_x_server(build: Build) -> None:
    lines = check_lines(build.section("--self-test on X11 (xvfb-run, xcb)"))

    assert "'xcb' platform" in lines["qt"]
    assert lines["main-window"].startswith("ok")


def test_one_folder_app_is_at_most_150_mb(build: Build) -> None:
    size = sum(
        p.stat().st_size for p in build.folder.rglob("*") if p.is_file() and not p.is_symlink()
    )

    assert size <= MAX_BYTES, f"{size / 1e6:.0f} MB"


def test_backend_and_test_tools_stay_out_of_the_bundle(build: Build) -> None:
    reader = CArchiveReader(str(build.executable))
    modules = set(reader.open_embedded_archive("PYZ.pyz").toc)
    roots = {name.split(".")[0] for name in modules}

    unwanted = {
        "backend", "tests", "moto", "boto3", "botocore", "fastapi", "uvicorn", "pydantic",
        "starlette", "pytest", "hypothesis", "keyrings", "pygments", "tkinter", "setuptools",
    }  # fmt: skip
    assert not roots & unwanted
    # ...while everything the app loads lazily or through entry points is there.
    for needed in (
        "desktop.app",
        "desktop.selftest",
        "desktop.ui.self_test_gui",
        "desktop.trust.verify",
        "jwt.algorithms",
        "keyring.backends.SecretService",
        "keyring.backends.Windows",
        "keyring.backends.macOS.api",
        "secretstorage.dhcrypto",
        "jeepney.io.blocking",
    ):
        assert needed in modules, needed
    assert "pyi_rth_proctor_tls" in reader.toc  # the CA fallback runs before the app


def test_unused_qt_parts_are_left_out(build: Build) -> None:
    files = {p.relative_to(build.internal).as_posix() for p in build.internal.rglob("*")}
    translations = sorted(p.rsplit("/", 1)[1] for p in files if "/Qt/translations/" in p)

    assert translations == ["qtbase_ko.qm"]
    assert not [p for p in files if "libgtk-3" in p or "platformthemes/libqgtk3" in p]
    assert not [p for p in files if "/plugins/tls/" in p or "/plugins/sqldrivers/" in p]
    assert "PySide6/Qt/plugins/platforms/libqxcb.so" in files
    assert "PySide6/Qt/plugins/platforms/libqwayland.so" in files
    assert "PySide6/Qt/plugins/imageformats/libqsvg.so" in files
    assert "resources/translations/proctor_ko.qm" in files


def test_the_linux_folder_carries_its_installer(build: Build) -> None:
    for name in ("install.sh", f"{NAME}.desktop", f"{NAME}.svg", f"icons/{NAME}-256.png"):
        assert (build.folder / name).is_file(), name


def test_a_symlink_on_path_launches_the_app(build: Build, tmp_path: Path) -> None:
    # install.sh links /usr/local/bin/proctor-uploader to the executable inside the folder.
    link = tmp_path / NAME
    link.symlink_to(build.executable)

    done = subprocess.run([str(link), "--version"], capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{NAME} {__version__}"


def test_without_a_system_ca_store_the_bundle_trusts_its_own(build: Build, tmp_path: Path) -> None:
    # Fedora and macOS look like this to an OpenSSL built on Debian: its compiled-in CA paths are
    # empty. Hide them in a private mount namespace (root only) and compare source and frozen.
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux)")
    empty = tmp_path / "empty"
    empty.mkdir()
    hide = f"mount --bind {empty} /usr/lib/ssl && mount --bind {empty} /etc/ssl/certs"
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"{hide} && true"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot make a private mount namespace: {probe.stderr.decode().strip()}")
    env = load("check_build").clean_env(tmp_path)

    def self_test(*command: str) -> str:
        done = subprocess.run(
            ["unshare", "-m", "sh", "-c", f'{hide} && exec "$@"', "sh", *command, "--self-test"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )
        return check_lines(done.stdout)["tls"]

    from_source = self_test(sys.executable, "-m", "desktop")
    frozen = self_test(str(build.executable))

    assert from_source.startswith("FAIL")  # the condition is real...
    assert "no trusted certificate authorities for uploads to storage" in from_source
    assert frozen.startswith("ok")  # ...and the bundle's runtime hook answers it
    assert f"SSL_CERT_FILE={build.internal}/certifi/cacert.pem" in frozen
