"""The composition root: config -> log -> credentials -> API -> engine -> UI.

`run_gui` opens the app; `run_demo` does the same against a freshly started local backend (a
subprocess: the app and the backend never import each other). `--self-test` lives in
`desktop.selftest`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from desktop import APP_ID, APP_NAME, __version__, wiring
from desktop.auth.credentials import CredentialStore, KeyringCredentialStore, MemoryCredentialStore
from desktop.config import HOME_ENV, AppConfig
from desktop.demo_headless import display_available, run_headless_demo
from desktop.errors import UploaderError
from desktop.keepawake import KeepAwake
from desktop.log import RecentLogBuffer

logger = logging.getLogger(__name__)

READY_PREFIX = "PROCTOR_BACKEND_READY "
_DEMO_START_TIMEOUT = 90.0


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """Where the demo backend listens and how to sign in to it.

    Attributes:
        url: The backend's address (http on 127.0.0.1).
        username: The demo account.
        password: Its password (a local emulator's, printed by the backend itself).
    """

    url: str
    username: str
    password: str


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="proctor-uploader", add_help=True)
    parser.add_argument("--minimized", action="store_true", help="start in the tray")
    parser.add_argument("--verbose", action="store_true", help="log debug messages to stderr too")
    args, _unknown = parser.parse_known_args(argv)  # Qt's own options (-style, ...) pass through
    return args


#: How often (seconds) the interpreter lets another thread run; Python's default is 0.005.
GUI_SWITCH_INTERVAL = 0.001


def prefer_gui_thread() -> None:
    """Make the interpreter hand its lock around more often, so the GUI thread waits less.

    The GUI thread shares one interpreter lock with the engine's threads (part senders, hashing,
    API calls). A thread that wants the lock waits a whole switch interval before the holder is
    asked to let go, and with a dozen busy threads it may wait several: at Python's default of
    5 ms, uploading a thousand small files kept the window's event loop waiting 40-140 ms (p99;
    `benchmarks/gui.py`). At 1 ms the waits shrink in proportion; the engine's bulk work (hashing,
    socket sends) runs without the lock, so it hardly notices the extra hand-overs.
    """
    sys.setswitchinterval(GUI_SWITCH_INTERVAL)


def _run(argv: list[str], *, demo: DemoAccount | None) -> int:
    """Build everything, run the event loop, and tear down in order."""
    args = _parse_args(argv)
    handlers_before = list(logging.getLogger().handlers)
    try:
        buffer = RecentLogBuffer()
        paths, log_path = wiring.start_logging(verbose=args.verbose, buffer=buffer)
    except UploaderError as exc:
        return _fatal(exc)
    logger.info("%s %s starting (demo: %s)", APP_NAME, __version__, demo is not None)
    config = AppConfig.load_layered(paths)
    if args.minimized:
        config = _replace(config, start_minimized=True)

    # Qt comes only now: everything above also serves the CLI.
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    from desktop.ui.assets import app_icon
    from desktop.ui.controller import AppController, Services
    from desktop.ui.messages import install_excepthooks
    from desktop.ui.qtlog import install_qt_message_handler, uninstall_qt_message_handler
    from desktop.ui.single_instance import InstanceServer, notify_running
    from desktop.ui.tasks import shutdown_background_tasks
    from desktop.ui.text import i18n
    from desktop.ui.theme import apply_theme

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    # The tray keeps the app alive with the window closed; quitting is always explicit.
    app.setQuitOnLastWindowClosed(False)
    previous_qt_handler = install_qt_message_handler()
    if demo is None and notify_running(paths.data_dir):
        logger.info("Already running: asked the running app to show its window")
        uninstall_qt_message_handler(previous_qt_handler)
        _remove_handlers_since(handlers_before)
        return 0
    apply_theme(app)
    prefer_gui_thread()
    i18n.apply_language(config.language)
    uninstall_hooks = install_excepthooks(log_path)

    store: CredentialStore = MemoryCredentialStore() if demo else KeyringCredentialStore()
    controller: AppController | None = None
    # The API client follows the settings of the moment (a changed CA bundle applies at once).
    session = wiring.auth_session(
        lambda: controller.config if controller is not None else config, store
    )
    services = Services(
        paths=paths,
        session=session,
        make_queue=wiring.queue_factory(paths),
        keep_awake=KeepAwake(reason="Uploading exam recordings"),
        log_path=log_path,
        log_buffer=buffer,
        tray_available=QSystemTrayIcon.isSystemTrayAvailable,
        acquire_engine_lock=wiring.engine_lock(paths),
    )
    controller = AppController(config, services)
    instance = InstanceServer(paths.data_dir) if demo is None else None
    if instance is not None:
        instance.sig_show_requested.connect(controller.show_window)
    geometry = QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat)
    saved = geometry.value("main/geometry")
    if saved is not None:
        controller.window.restoreGeometry(saved)

    def about_to_quit() -> None:
        geometry.setValue("main/geometry", controller.window.saveGeometry())
        geometry.sync()
        controller.shutdown()

    app.aboutToQuit.connect(about_to_quit)
    if demo is not None:
        controller.start_signed_in(demo.url, demo.username, demo.password)
    else:
        controller.start()
    try:
        code = app.exec()
    finally:
        controller.shutdown()
        shutdown_background_tasks()
        session.close()
        if instance is not None:
            instance.close()
        uninstall_hooks()
        uninstall_qt_message_handler(previous_qt_handler)
        # The QApplication outlives this run when run in-process (the demo from tests, a second
        # run): nothing of this run may stay connected to it or alive with timers of its own.
        app.aboutToQuit.disconnect(about_to_quit)
        controller.window.deleteLater()
        controller.deleteLater()
        logger.info("Exited with code %d", code)
        _remove_handlers_since(handlers_before)
    return code


def _remove_handlers_since(before: list[logging.Handler]) -> None:
    """Detach the log handlers `_run` added (the process may go on: the demo's test, a CLI)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()


def _replace(config: AppConfig, **changes: object) -> AppConfig:
    import dataclasses

    return dataclasses.replace(config, **changes)  # type: ignore[arg-type]


def _fatal(exc: UploaderError) -> int:
    """Show a start-up failure (no log file yet) in a message box, and on stderr."""
    sys.stderr.write(f"{APP_NAME}: {exc.title}: {exc.message}\n")
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication(sys.argv[:1])
    del app
    QMessageBox.critical(None, exc.title, exc.message)
    return 1


def _say(line: str) -> None:
    """A line for the person who started the command (demo progress, self-test results)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def run_gui(argv: list[str]) -> int:
    """Open the desktop app (the CLI calls this when no subcommand is given)."""
    return _run(argv, demo=None)


class DemoBackend:
    """`python -m backend dev --port 0` in a subprocess, stopped with the app."""

    def __init__(self, data_dir: Path, log_file: IO[bytes]) -> None:
        """Start the backend; call `wait_ready()` next."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("PYTHON_KEYRING_BACKEND", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backend", "dev", "--port", "0", "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=log_file,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        self._ready: dict[str, str] | None = None
        self._seen = threading.Event()
        self._reader = threading.Thread(target=self._read, name="demo-backend-output", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:  # drained to the end, so the backend never blocks on it
            line = raw.decode(errors="replace").rstrip()
            if line.startswith(READY_PREFIX) and self._ready is None:
                with contextlib.suppress(ValueError):
                    self._ready = json.loads(line[len(READY_PREFIX) :])
                self._seen.set()
            elif line:
                logger.debug("demo backend: %s", line)
        self._seen.set()

    def wait_ready(self, timeout: float = _DEMO_START_TIMEOUT) -> DemoAccount:
        """Wait for the READY line.

        Raises:
            RuntimeError: The backend exited or did not become ready in time.
        """
        if not self._seen.wait(timeout) or self._ready is None:
            raise RuntimeError("the demo backend did not start (see its log)")
        ready = self._ready
        return DemoAccount(str(ready["url"]), str(ready["username"]), str(ready["password"]))

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the backend (SIGTERM, then kill) and wait for its output to end."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout)
        if self.process.stdout is not None:
            self.process.stdout.close()


@contextlib.contextmanager
def demo_backend(folder: Path) -> Iterator[DemoAccount]:
    """Run the demo backend with its data and log under `folder` until the block exits."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "backend.log").open("wb") as log_file:
        backend = DemoBackend(folder / "backend-data", log_file)
        try:
            yield backend.wait_ready()
        finally:
            backend.stop()


def run_demo(argv: list[str]) -> int:
    """The app against a local backend + S3 emulator, signed in as the demo user.

    Everything (queue, settings, logs, the backend's data) lives in a temporary folder that is
    removed at exit, and nothing is stored in the keyring.
    """
    with tempfile.TemporaryDirectory(prefix="proctor-demo-") as tmp:
        root = Path(tmp)
        _say(f"{APP_NAME} demo: starting the local backend and S3 emulator…")
        previous_home = os.environ.get(HOME_ENV)
        os.environ[HOME_ENV] = str(root / "app")
        try:
            with demo_backend(root / "backend") as account:
                display = display_available()
                if "--headless" in argv or not display:
                    _say(f"Backend ready at {account.url}.")
                    return run_headless_demo(
                        url=account.url,
                        username=account.username,
                        password=account.password,
                        workdir=root,
                        display=display,
                    )
                _say(f"Backend ready at {account.url}; opening the app.")
                return _run(argv, demo=account)
        except RuntimeError as exc:
            sys.stderr.write(f"{APP_NAME} demo: {exc}\n")
            log = root / "backend" / "backend.log"
            if log.is_file():
                sys.stderr.write(log.read_text(errors="replace")[-4000:])
            return 1
        finally:
            if previous_home is None:
                os.environ.pop(HOME_ENV, None)
            else:
                os.environ[HOME_ENV] = previous_home
