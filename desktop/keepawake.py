"""Keep the computer awake while uploads run: best effort, per operating system, released when idle.

A laptop that sleeps at the end of an exam day stops every upload. Each OS has its own way to say
"not now":

- Windows: `SetThreadExecutionState(ES_CONTINUOUS | ES_SYSTEM_REQUIRED)`. The request belongs to
  the calling thread, which is why `KeepAwake` makes every call from one private, long-lived thread.
- macOS: `caffeinate -i -w <our pid>`; `-w` ends it if we die, so a crash never leaves the Mac
  sleepless.
- Linux: `systemd-inhibit --what=sleep:idle ... cat` when systemd runs (the inhibitor lives exactly
  as long as `cat`, which exits when we close its stdin or die), else the freedesktop D-Bus inhibit
  (`org.freedesktop.PowerManagement.Inhibit`, then `org.freedesktop.ScreenSaver`), held for as long
  as our D-Bus connection stays open.

Nothing here raises to the caller: when no method works the app simply cannot keep the machine
awake, and says so in the log. Qt-free; the GUI calls `set_active()` (non-blocking) when uploads
start and stop.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from desktop import platforms

logger = logging.getLogger(__name__)

_ES_CONTINUOUS = 0x80000000
_ES_SYSTEM_REQUIRED = 0x00000001
# A helper still running after this long has started (failures exit within milliseconds).
_START_GRACE_SECONDS = 0.5
_DBUS_TIMEOUT_SECONDS = 2.0
_FREEDESKTOP_SERVICES = (
    ("org.freedesktop.PowerManagement", "/org/freedesktop/PowerManagement/Inhibit",
     "org.freedesktop.PowerManagement.Inhibit"),
    ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"),
)  # fmt: skip


class Inhibitor(Protocol):
    """One way of preventing sleep; methods may block briefly, so `KeepAwake` calls them off the UI.

    Attributes:
        name: Short human name for the log ("systemd-inhibit", "D-Bus ScreenSaver", ...).
    """

    name: str

    def acquire(self) -> None:
        """Start preventing sleep.

        Raises:
            OSError: This method is unavailable here.
        """

    def release(self) -> None:
        """Stop preventing sleep (never raises)."""


class WindowsInhibitor:
    """`SetThreadExecutionState`; must be acquired and released on the same long-lived thread."""

    name = "SetThreadExecutionState"

    def __init__(self, kernel32: Any = None) -> None:
        """Use `kernel32` (a test double) or the real `ctypes.windll.kernel32`."""
        self._kernel32 = kernel32

    def _api(self) -> Any:
        if self._kernel32 is None:
            windll = getattr(ctypes, "windll", None)
            if windll is None:
                raise OSError("SetThreadExecutionState exists only on Windows")
            self._kernel32 = windll.kernel32
        return self._kernel32

    def acquire(self) -> None:
        """Ask Windows to stay awake until `release()`."""
        if self._api().SetThreadExecutionState(_ES_CONTINUOUS | _ES_SYSTEM_REQUIRED) == 0:
            raise OSError("SetThreadExecutionState refused the request")

    def release(self) -> None:
        """Return to the normal sleep policy."""
        with contextlib.suppress(OSError):
            self._api().SetThreadExecutionState(_ES_CONTINUOUS)


class ProcessInhibitor:
    """Holds a helper process (caffeinate, systemd-inhibit) that prevents sleep while it runs."""

    def __init__(self, name: str, argv: Callable[[], list[str]]) -> None:
        """Create the inhibitor.

        Args:
            name: Human name for the log.
            argv: Builds the command line at acquire time; raises `OSError` when the tool is
                missing.
        """
        self.name = name
        self._argv = argv
        self._process: subprocess.Popen[bytes] | None = None

    def acquire(self) -> None:
        """Start the helper; fail if it exits at once (no systemd-logind, no permission...)."""
        process = subprocess.Popen(
            self._argv(),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            process.wait(timeout=_START_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self._process = process
            return
        stderr = process.stderr.read() if process.stderr else b""
        _close_pipes(process)
        raise OSError(
            f"{self.name} exited with status {process.returncode}: "
            f"{stderr.decode(errors='replace').strip()[:200]}"
        )

    def release(self) -> None:
        """Stop the helper: closing its stdin ends `cat`; terminate whatever is left."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin:
                process.stdin.close()
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        except OSError as exc:
            logger.info("Keep-awake helper %s did not stop cleanly: %s", self.name, exc)
        finally:
            _close_pipes(process)


def _close_pipes(process: subprocess.Popen[bytes]) -> None:
    for pipe in (process.stdin, process.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


def _which(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise OSError(f"{tool} is not installed")
    return found


def caffeinate_inhibitor() -> ProcessInhibitor:
    """macOS: `caffeinate -i` (no idle sleep), bound to our process id."""
    return ProcessInhibitor(
        "caffeinate", lambda: [_which("caffeinate"), "-i", "-w", str(os.getpid())]
    )


def systemd_inhibitor(reason: str, *, booted: Callable[[], bool] | None = None) -> ProcessInhibitor:
    """Linux with systemd: `systemd-inhibit --what=sleep:idle --mode=block cat`.

    Args:
        reason: Shown by `systemd-inhibit --list` and some desktops.
        booted: Whether systemd is the init system (default: `/run/systemd/system` exists, as
            `sd_booted()` checks); injectable for tests.
    """
    is_booted = booted or (lambda: os.path.isdir("/run/systemd/system"))

    def argv() -> list[str]:
        if not is_booted():
            raise OSError("systemd is not running")
        return [
            _which("systemd-inhibit"),
            "--what=sleep:idle",
            "--who=Proctor Uploader",
            f"--why={reason}",
            "--mode=block",
            _which("cat"),
        ]

    return ProcessInhibitor("systemd-inhibit", argv)


class FreedesktopInhibitor:
    """The freedesktop D-Bus inhibit (KDE, Xfce, GNOME), held while our connection is open."""

    name = "D-Bus inhibit"

    def __init__(
        self, reason: str, *, bus: str = "SESSION", app_name: str = "Proctor Uploader"
    ) -> None:
        """Create the inhibitor.

        Args:
            reason: Why we inhibit, shown by the desktop.
            bus: `SESSION` or a D-Bus address (tests pass a private bus).
            app_name: Application name shown by the desktop.
        """
        self._reason = reason
        self._bus = bus
        self._app_name = app_name
        self._connection: Any = None
        self._held: tuple[str, str, str, int] | None = None

    def acquire(self) -> None:
        """Open a session-bus connection and ask the first service that answers to inhibit."""
        try:
            from jeepney import DBusAddress, DBusErrorResponse, new_method_call
            from jeepney.io.blocking import open_dbus_connection
            from jeepney.wrappers import unwrap_msg
        except ImportError as exc:
            raise OSError("D-Bus support (jeepney) is not installed") from exc
        try:
            connection = open_dbus_connection(bus=self._bus)
        except (OSError, KeyError, ValueError) as exc:
            raise OSError(f"no D-Bus session bus: {exc}") from exc
        errors = []
        for service, path, interface in _FREEDESKTOP_SERVICES:
            address = DBusAddress(path, bus_name=service, interface=interface)
            message = new_method_call(address, "Inhibit", "ss", (self._app_name, self._reason))
            try:
                reply = connection.send_and_get_reply(message, timeout=_DBUS_TIMEOUT_SECONDS)
                (cookie,) = unwrap_msg(reply)
            except (DBusErrorResponse, OSError, TimeoutError, ValueError) as exc:
                errors.append(f"{service}: {exc}")
                continue
            self._connection = connection
            self._held = (service, path, interface, int(cookie))
            self.name = f"D-Bus {service.rsplit('.', 1)[-1]}"
            return
        connection.close()
        raise OSError("; ".join(errors))

    def release(self) -> None:
        """Un-inhibit and close the connection (closing alone also releases it)."""
        connection, held = self._connection, self._held
        self._connection, self._held = None, None
        if connection is None or held is None:
            return
        from jeepney import DBusAddress, new_method_call

        service, path, interface, cookie = held
        try:
            address = DBusAddress(path, bus_name=service, interface=interface)
            connection.send_and_get_reply(
                new_method_call(address, "UnInhibit", "u", (cookie,)), timeout=_DBUS_TIMEOUT_SECONDS
            )
        except (OSError, TimeoutError) as exc:
            logger.info("D-Bus UnInhibit failed (%s); closing the connection releases it", exc)
        finally:
            connection.close()


def default_inhibitors(reason: str, platform: str | None = None) -> list[Inhibitor]:
    """The methods to try on `platform` (None: this computer), best first."""
    key = platforms.platform_key(platform)
    if key == platforms.WINDOWS:
        return [WindowsInhibitor()]
    if key == platforms.MACOS:
        return [caffeinate_inhibitor()]
    return [systemd_inhibitor(reason), FreedesktopInhibitor(reason)]


class KeepAwake:
    """Prevents system sleep while active, using the first inhibitor that works.

    All inhibitor calls happen on one private thread: they may block (process start, D-Bus round
    trips), and Windows ties the request to the thread that made it.
    """

    def __init__(self, *, reason: str, inhibitors: Sequence[Inhibitor] | None = None) -> None:
        """Create the keeper; no thread starts until the first `set_active(True)`.

        Args:
            reason: Why the machine is kept awake (shown by some desktops).
            inhibitors: Methods to try in order; the OS defaults when omitted.
        """
        self._inhibitors = list(inhibitors) if inhibitors is not None else None
        self._reason = reason
        self._requests: queue.Queue[bool | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        self._pending = 0
        self._holder: Inhibitor | None = None
        self._closed = False

    @property
    def holder(self) -> str | None:
        """Name of the method keeping the machine awake right now, or None."""
        with self._lock:
            return self._holder.name if self._holder else None

    def set_active(self, active: bool) -> None:
        """Ask to keep the machine awake (True) or let it sleep again (False). Never blocks."""
        with self._lock:
            if self._closed:
                return
            if self._thread is None:
                if not active:
                    return
                self._thread = threading.Thread(target=self._run, name="keep-awake", daemon=True)
                self._thread.start()
            self._pending += 1
        self._requests.put(active)

    def wait_settled(self, timeout: float | None = None) -> bool:
        """Wait until every `set_active()` request so far has been carried out."""
        with self._settled:
            return self._settled.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Release any inhibitor and stop the private thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._requests.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            wanted = self._requests.get()
            if wanted is None:
                self._apply(False)
                return
            # Requests pile up while a slow inhibitor starts; only the latest one matters.
            done = 1
            while not self._requests.empty():
                following = self._requests.get_nowait()
                if following is None:
                    self._apply(False)
                    self._finish(done)
                    return
                wanted, done = following, done + 1
            self._apply(wanted)
            self._finish(done)

    def _finish(self, count: int) -> None:
        with self._settled:
            self._pending -= count
            self._settled.notify_all()

    def _apply(self, wanted: bool) -> None:
        holder = self._holder
        if wanted and holder is None:
            if self._inhibitors is None:
                self._inhibitors = default_inhibitors(self._reason)
            failures = []
            for inhibitor in self._inhibitors:
                try:
                    inhibitor.acquire()
                except OSError as exc:
                    failures.append(f"{inhibitor.name}: {exc}")
                    continue
                logger.info("Keeping the computer awake while uploading (%s)", inhibitor.name)
                with self._lock:
                    self._holder = inhibitor
                return
            logger.info(
                "Cannot keep the computer awake here: %s", "; ".join(failures) or "no method"
            )
        elif not wanted and holder is not None:
            holder.release()
            with self._lock:
                self._holder = None
            logger.info("The computer may sleep again (%s released)", holder.name)
