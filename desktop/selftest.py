"""``proctor-uploader --self-test``: prove that this installation can run on this computer.

Run on the frozen app by CI and by IT after a roll-out, and from a source checkout by the tests.
Every check prints one line (``ok`` or ``FAIL``, its name, what it found); the last line names the
failed checks; the exit code is 0 when all passed and 1 otherwise. No check raises: an unexpected
exception becomes that check's ``FAIL`` line, never a traceback.

The checks, in order:

- ``data-dir``: the config, data and log folders can be created and written, and SQLite can open a
  WAL database there (the queue store needs it; some network home folders refuse it).
- ``config``: the settings load cleanly, including the IT preset file and
  ``PROCTOR_UPLOADER_SERVER_URL``; reports the server address and where it came from.
- ``tls``: trusted certificate authorities are found for both HTTPS paths: the API's (the certifi
  bundle, or ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``) and :mod:`ssl`'s default context (the
  storage uploads, the system store).
- ``receipts``: an Ed25519 signature can be made and checked through PyJWT, the way signed receipts
  are verified (a bundle missing ``cryptography``'s compiled part would pass every other check and
  show every receipt as not verified).
- ``keyring``: names the keyring backend. Fails when it cannot hold secrets although this
  platform's real backend is reachable: that is what a frozen build that lost keyring's backends
  looks like (jaraco/keyring#468). ``--keyring-roundtrip`` also stores, reads back and deletes a
  throwaway entry.
- ``qt``, ``resources``, ``translations``, ``main-window``: in :mod:`desktop.ui.self_test_gui`
  (Qt lives under ``desktop/ui``); Qt runs offscreen when there is no display.

This module is Qt-free: the entry point (`desktop.__main__`) hands :func:`main` a loader for the Qt
half, which runs only after the other checks, so a broken Qt is reported as failed checks instead
of stopping the self-test before it says anything.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import platform
import sqlite3
import ssl
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from desktop import APP_NAME, __version__, platforms

__all__ = ["CheckFailed", "CheckResult", "GuiChecks", "main", "run_check"]

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1


class CheckFailed(Exception):
    """A check found a problem; the message says what and, where possible, what to do."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check.

    Attributes:
        name: Short, stable name (``keyring``); scripts may grep for it.
        ok: Whether the check passed.
        detail: What was found, or why it failed.
    """

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        """The check as one line of the report."""
        return f"{'ok' if self.ok else 'FAIL':<5} {self.name:<13} {self.detail}"


#: Receives each check's result as it finishes.
Report = Callable[[CheckResult], None]
#: Runs the Qt half's checks, reporting each.
GuiChecks = Callable[[Report], None]


def run_check(name: str, check: Callable[[], str]) -> CheckResult:
    """Run ``check``; its return value is the detail of a pass, and any exception is a failure."""
    try:
        return CheckResult(name, True, check())
    except CheckFailed as exc:
        return CheckResult(name, False, str(exc))
    except Exception as exc:  # the self-test reports every failure on one line
        logger.debug("Self-test check %s raised", name, exc_info=True)
        return CheckResult(name, False, f"unexpected {type(exc).__name__}: {exc}")


# -- data directory ------------------------------------------------------------------------------


def check_data_dir() -> str:
    """The app's folders are writable, and SQLite can use WAL in the data folder."""
    from desktop.config import AppPaths
    from desktop.errors import StateStoreError

    try:
        paths = AppPaths.default(create=True)
    except StateStoreError as exc:
        raise CheckFailed(exc.message) from exc
    for folder in (paths.config_dir, paths.data_dir, paths.log_dir):
        try:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".self-test-") as handle:
                handle.write(b"proctor-uploader self-test\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise CheckFailed(f"cannot write in {folder}: {exc.strerror or exc}") from exc
    probe = paths.data_dir / f".self-test-{uuid.uuid4().hex}.sqlite3"
    try:
        with contextlib.closing(sqlite3.connect(probe)) as db:
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            db.execute("CREATE TABLE probe (x INTEGER)")
            db.execute("INSERT INTO probe VALUES (1)")
            db.commit()
    except sqlite3.Error as exc:
        raise CheckFailed(f"SQLite cannot open a database in {paths.data_dir}: {exc}") from exc
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{probe}{suffix}").unlink(missing_ok=True)
    if str(mode).lower() != "wal":
        raise CheckFailed(
            f"SQLite cannot use WAL journaling in {paths.data_dir} (got {mode!r}); the upload "
            "queue needs a local disk, not a network share"
        )
    return f"{paths.data_dir} writable (config, data, logs; SQLite WAL)"


# -- settings and IT presets ---------------------------------------------------------------------


class _Collect(logging.Handler):
    """Keeps the messages of WARNING+ records, to report them as the check's failure."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _warnings_of(logger_name: str) -> Iterator[_Collect]:
    target = logging.getLogger(logger_name)
    handler = _Collect()
    target.addHandler(handler)
    try:
        yield handler
    finally:
        target.removeHandler(handler)


def check_config() -> str:
    """The settings, the IT preset and the server-address variable load without a problem."""
    from desktop.config import SERVER_URL_ENV, AppConfig, AppPaths
    from desktop.errors import StateStoreError

    try:
        paths = AppPaths.default(create=True)
    except StateStoreError as exc:
        raise CheckFailed(exc.message) from exc
    with _warnings_of("desktop.config") as problems:
        config = AppConfig.load_layered(paths)
    if problems.messages:
        raise CheckFailed("; ".join(problems.messages))
    preset = paths.preset_file
    preset_text = f"preset {preset}" if preset is not None and preset.is_file() else "no preset"
    if not config.server_url:
        server = "no server address yet (asked at first sign-in)"
    elif config.server_url_locked:
        server = f"server {config.server_url} (locked by IT)"
    elif os.environ.get(SERVER_URL_ENV, "").strip():
        server = f"server {config.server_url} (from {SERVER_URL_ENV} or the user's settings)"
    else:
        server = f"server {config.server_url}"
    if config.ca_bundle and not Path(config.ca_bundle).is_file():
        raise CheckFailed(f"the configured CA bundle {config.ca_bundle} does not exist")
    return f"{server}; {preset_text}"


# -- TLS -----------------------------------------------------------------------------------------


def _ca_count(context: ssl.SSLContext) -> int:
    return int(context.cert_store_stats()["x509_ca"])


def _capath_count(capath: str | None) -> int:
    """Certificates in an OpenSSL hashed directory (loaded lazily, so not in the store stats)."""
    if not capath or not os.path.isdir(capath):
        return 0
    with os.scandir(capath) as entries:
        return sum(1 for entry in entries if len(entry.name) >= 10 and entry.name[8] == ".")


def _api_trust() -> str:
    from desktop.api.transport import api_ca_bundle

    bundle, variable = api_ca_bundle()
    if not os.path.isfile(bundle):
        raise CheckFailed(f"the CA bundle for the API ({bundle}) is missing")
    try:
        count = _ca_count(ssl.create_default_context(cafile=bundle))
    except (ssl.SSLError, OSError) as exc:
        raise CheckFailed(f"the CA bundle for the API ({bundle}) cannot be read: {exc}") from exc
    if count == 0:
        raise CheckFailed(f"the CA bundle for the API ({bundle}) holds no certificates")
    source = f"{variable}={bundle}" if variable else bundle
    return f"API {count} CAs ({source})"


def _storage_trust() -> str:
    context = ssl.create_default_context()
    count = _ca_count(context)
    paths = ssl.get_default_verify_paths()
    if count:
        variable = "SSL_CERT_FILE=" if os.environ.get("SSL_CERT_FILE") else ""
        return f"storage {count} CAs ({variable}{paths.cafile or 'system store'})"
    lazy = _capath_count(paths.capath)
    if lazy:
        return f"storage {lazy} CAs ({paths.capath})"
    raise CheckFailed(
        "no trusted certificate authorities for uploads to storage (checked "
        f"{paths.cafile or paths.openssl_cafile} and {paths.capath or paths.openssl_capath}); "
        "install the system's CA certificates (Debian: ca-certificates) or set SSL_CERT_FILE"
    )


def check_tls() -> str:
    """Both HTTPS paths find trusted certificate authorities."""
    return f"{_api_trust()}; {_storage_trust()}"


def check_receipts() -> str:
    """PyJWT verifies an EdDSA signature with ``cryptography``, as signed receipts need."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    token = jwt.encode({"probe": 1}, key, algorithm="EdDSA")
    claims = jwt.decode(token, key.public_key(), algorithms=["EdDSA"])
    if claims != {"probe": 1}:
        raise RuntimeError("an EdDSA signature did not round-trip")
    return f"EdDSA via PyJWT {jwt.__version__}"


# -- keyring -------------------------------------------------------------------------------------


def reachable_platform_backend(platform: str | None = None) -> tuple[str | None, str]:
    """``(backend label, "")`` for the first reachable real backend, else ``(None, why not)``."""
    import importlib

    reasons = []
    for module_name, class_name in platforms.keyring_backends(platform):
        module = importlib.import_module(module_name)
        backend_class = getattr(module, class_name)
        try:
            # keyring's `priority` probes the service itself (D-Bus, Credential Manager, Keychain)
            # and raises with the reason when it is not usable.
            backend_class.priority  # noqa: B018 - the probe is the point
        except Exception as exc:  # noqa: BLE001 - every backend raises its own kind here
            reasons.append(str(exc) or type(exc).__name__)
            continue
        return f"{module_name}.{class_name}", ""
    return None, "; ".join(reasons) or "this platform has no known keyring"


def missing_keyring_modules(platform: str | None = None) -> list[str]:
    """The modules `platform`'s keyring backend needs that this installation lacks."""
    import importlib

    missing = []
    for name in platforms.keyring_modules(platform):
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def _roundtrip() -> str:
    from desktop.auth.credentials import KeyringCredentialStore
    from desktop.errors import CredentialStoreError

    store = KeyringCredentialStore()
    server, user = "self-test://proctor-uploader", f"self-test-{uuid.uuid4().hex[:12]}"
    secret = uuid.uuid4().hex
    try:
        store.save(server, user, secret)
        try:
            read_back = store.load(server, user)
        finally:
            store.delete(server, user)
        gone = store.load(server, user)
    except CredentialStoreError as exc:
        raise CheckFailed(f"the keyring refused a test entry: {exc.message}") from exc
    if read_back != secret:
        raise CheckFailed("the keyring returned something else than the test entry stored")
    if gone is not None:
        raise CheckFailed("the keyring still holds the test entry after deleting it")
    return "; stored, read back and deleted a test entry"


def check_keyring(*, roundtrip: bool = False) -> str:
    """The keyring backend is a real one whenever this computer offers one."""
    from desktop.auth.credentials import KeyringCredentialStore

    missing = missing_keyring_modules()
    if missing:
        raise CheckFailed(
            f"this build lacks {', '.join(missing)}, so the OS keyring can never be used"
        )
    usable, label = KeyringCredentialStore.available()
    forced = os.environ.get("PYTHON_KEYRING_BACKEND")
    forced_text = f" (forced by PYTHON_KEYRING_BACKEND={forced})" if forced else ""
    if usable:
        return f"{label}{forced_text}" + (_roundtrip() if roundtrip else "")
    real, why_not = reachable_platform_backend()
    if real is not None:
        raise CheckFailed(
            f"keyring cannot store sign-ins ({label}){forced_text} although {real} is available "
            "here: its backend was not found"
        )
    if roundtrip:
        raise CheckFailed(f"no OS keyring to test ({label}; {why_not})")
    return f"no OS keyring here, sign-in will be session-only ({label}; {why_not})"


# -- running -------------------------------------------------------------------------------------


def _prepare_qt_environment() -> None:
    """Run Qt offscreen when there is no display to show the window on (CI, SSH, services)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def _run_gui_checks(report: Report, load: Callable[[], GuiChecks]) -> None:
    _prepare_qt_environment()
    try:
        run_gui_checks = load()
    except Exception as exc:  # noqa: BLE001 - a broken Qt install must still be reported
        report(CheckResult("qt", False, f"Qt cannot be loaded: {type(exc).__name__}: {exc}"))
        return
    run_gui_checks(report)


def _say(line: str) -> None:
    # A windowed Windows build has no standard output (sys.stdout is None); the exit code still
    # tells. IT runs proctor-uploader-cli.exe, the console twin, to read the lines.
    if sys.stdout is not None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _header() -> str:
    kind = "frozen" if getattr(sys, "frozen", False) else "from source"
    return (
        f"{APP_NAME} {__version__} self-test ({kind}; {platform.system()} {platform.release()} "
        f"{platform.machine()}; Python {platform.python_version()})"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="proctor-uploader --self-test",
        description="Check that this installation works here; exit 0 when every check passes.",
    )
    parser.add_argument(
        "--keyring-roundtrip",
        action="store_true",
        help="also store, read back and delete a throwaway keyring entry (may prompt to unlock)",
    )
    return parser


def main(argv: list[str], *, gui_checks: Callable[[], GuiChecks]) -> int:
    """Run every check, print one line each, and return 0 when all passed, 1 otherwise.

    Args:
        argv: The options after ``--self-test``.
        gui_checks: Imports and returns the Qt half's runner (an import error is a failed check).
    """
    args = _parser().parse_args(argv)
    _say(_header())
    results: list[CheckResult] = []

    def report(result: CheckResult) -> None:
        results.append(result)
        _say(result.line())

    report(run_check("data-dir", check_data_dir))
    report(run_check("config", check_config))
    report(run_check("tls", check_tls))
    report(run_check("receipts", check_receipts))
    report(run_check("keyring", lambda: check_keyring(roundtrip=args.keyring_roundtrip)))
    _run_gui_checks(report, gui_checks)
    failed = [r.name for r in results if not r.ok]
    if failed:
        _say(f"self-test FAILED: {', '.join(failed)}")
        return EXIT_FAILED
    _say(f"self-test passed: {len(results)} checks")
    return EXIT_OK
