"""``proctor-uploader --self-test`` from source: what passes, and that each failure is caught.

Every run is a subprocess with the clean environment CI gives a frozen build (check_build.py): a
fresh app home, no display, no forced keyring backend, none of the developer's CA variables.
"""

from __future__ import annotations

import os
from pathlib import Path

from keyring.backend import KeyringBackend

from desktop.selftest import CheckFailed, CheckResult, run_check
from tests.packaging.tools import ROOT, check_lines, run_self_test

CHECKS = (
    "data-dir",
    "config",
    "tls",
    "receipts",
    "keyring",
    "qt",
    "resources",
    "translations",
    "main-window",
)


def test_every_check_passes_here_and_no_keyring_means_session_only(tmp_path: Path) -> None:
    done = run_self_test(tmp_path)

    assert done.returncode == 0, done.stdout
    lines = check_lines(done.stdout)
    assert list(lines) == list(CHECKS)
    assert all(line.startswith("ok") for line in lines.values()), done.stdout
    assert "session-only" in lines["keyring"]
    assert "EdDSA via PyJWT" in lines["receipts"]
    assert "'offscreen' platform" in lines["qt"]  # no display: Qt went offscreen by itself
    assert "ko" in lines["translations"]
    assert done.stdout.splitlines()[-1] == f"self-test passed: {len(CHECKS)} checks"
    assert "from source" in done.stdout.splitlines()[0]


def test_a_real_secret_service_is_found_and_round_trips(
    tmp_path: Path, secret_service_keyring: KeyringBackend
) -> None:
    bus = {"DBUS_SESSION_BUS_ADDRESS": os.environ["DBUS_SESSION_BUS_ADDRESS"]}

    done = run_self_test(tmp_path, "--keyring-roundtrip", extra_env=bus)

    assert done.returncode == 0, done.stdout
    keyring_line = check_lines(done.stdout)["keyring"]
    assert keyring_line.startswith("ok")
    assert "keyring.backends.SecretService.Keyring" in keyring_line
    assert "stored, read back and deleted a test entry" in keyring_line


def test_fail_keyring_while_secret_service_is_available_fails(
    tmp_path: Path, secret_service_keyring: KeyringBackend
) -> None:
    # What a frozen build that lost keyring's entry points looks like: fail.Keyring although the
    # desktop offers a Secret Service.
    env = {
        "DBUS_SESSION_BUS_ADDRESS": os.environ["DBUS_SESSION_BUS_ADDRESS"],
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }

    done = run_self_test(tmp_path, extra_env=env)

    assert done.returncode == 1, done.stdout
    keyring_line = check_lines(done.stdout)["keyring"]
    assert keyring_line.startswith("FAIL")
    assert "keyring.backends.SecretService.Keyring is available" in keyring_line
    assert done.stdout.splitlines()[-1] == "self-test FAILED: keyring"


def test_roundtrip_without_any_keyring_fails(tmp_path: Path) -> None:
    done = run_self_test(tmp_path, "--keyring-roundtrip")

    assert done.returncode == 1
    assert check_lines(done.stdout)["keyring"].startswith("FAIL  keyring       no OS keyring")


def test_unwritable_data_dir_fails_and_names_the_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the app home should be a folder")
    home = blocker / "home"

    done = run_self_test(tmp_path, extra_env={"PROCTOR_UPLOADER_HOME": str(home)})

    assert done.returncode == 1
    lines = check_lines(done.stdout)
    assert lines["data-dir"].startswith("FAIL")
    assert str(home) in lines["data-dir"]
    assert "data-dir" in done.stdout.splitlines()[-1]
    assert "Traceback" not in done.stdout


def test_a_bad_it_preset_fails_the_config_check(tmp_path: Path) -> None:
    preset = tmp_path / "preset.toml"
    preset.write_text('server_url = "ftp://uploads.example.edu"\nparallel_file = 3\n')

    done = run_self_test(tmp_path, extra_env={"PROCTOR_UPLOADER_PRESET": str(preset)})

    assert done.returncode == 1
    config_line = check_lines(done.stdout)["config"]
    assert config_line.startswith("FAIL")
    assert "parallel_file" in config_line  # the misspelt key is named
    assert "server_url" in config_line  # and the invalid address


def test_a_preset_that_is_not_toml_fails(tmp_path: Path) -> None:
    preset = tmp_path / "preset.toml"
    preset.write_text("server_url = https://no-quotes.example.edu\n")

    done = run_self_test(tmp_path, extra_env={"PROCTOR_UPLOADER_PRESET": str(preset)})

    assert done.returncode == 1
    assert "not valid TOML" in check_lines(done.stdout)["config"]


def test_the_example_preset_locks_the_server_address(tmp_path: Path) -> None:
    preset = ROOT / "packaging" / "presets" / "config.toml"

    done = run_self_test(tmp_path, extra_env={"PROCTOR_UPLOADER_PRESET": str(preset)})

    assert done.returncode == 0, done.stdout
    assert "server https://uploads.example.edu (locked by IT)" in check_lines(done.stdout)["config"]


def test_no_trusted_certificates_for_storage_fails_tls(tmp_path: Path) -> None:
    nowhere = str(tmp_path / "no-such-ca-store")
    env = {"SSL_CERT_FILE": nowhere, "SSL_CERT_DIR": nowhere}

    done = run_self_test(tmp_path, extra_env=env)

    assert done.returncode == 1
    tls_line = check_lines(done.stdout)["tls"]
    assert tls_line.startswith("FAIL")
    assert "no trusted certificate authorities for uploads to storage" in tls_line


def test_a_missing_qt_platform_plugin_is_a_failed_check_not_an_abort(tmp_path: Path) -> None:
    done = run_self_test(tmp_path, extra_env={"QT_QPA_PLATFORM": "nosuchplatform"})

    assert done.returncode == 1
    lines = check_lines(done.stdout)
    assert "'nosuchplatform' platform plugin is missing" in lines["qt"]
    for later in ("resources", "translations", "main-window"):
        assert lines[later].endswith("not run: Qt did not start")
    assert done.stdout.splitlines()[-1] == (
        "self-test FAILED: qt, resources, translations, main-window"
    )


def test_run_check_turns_any_exception_into_a_failed_line() -> None:
    def broken() -> str:
        raise KeyError("surprise")

    def refused() -> str:
        raise CheckFailed("the disk is full")

    assert run_check("ok-check", lambda: "fine") == CheckResult("ok-check", True, "fine")
    assert run_check("refused", refused) == CheckResult("refused", False, "the disk is full")
    failed = run_check("broken", broken)
    assert not failed.ok
    assert failed.detail == "unexpected KeyError: 'surprise'"
    assert failed.line().startswith("FAIL  broken")


def test_the_cli_routes_self_test_options(tmp_path: Path) -> None:
    done = run_self_test(tmp_path, "--help")

    assert done.returncode == 0
    assert "--keyring-roundtrip" in done.stdout
