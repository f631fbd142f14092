"""Keep-awake: fallback order, one long-lived thread, real helper processes and real D-Bus calls."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.keepawake import (
    FreedesktopInhibitor,
    KeepAwake,
    WindowsInhibitor,
    default_inhibitors,
    systemd_inhibitor,
)


class RecordingInhibitor:
    """A hand-written inhibitor that records calls and the threads they came from."""

    def __init__(self, name: str, *, fails: bool = False) -> None:
        self.name = name
        self.fails = fails
        self.calls: list[str] = []
        self.threads: set[int] = set()

    def acquire(self) -> None:
        self.threads.add(threading.get_ident())
        self.calls.append("acquire")
        if self.fails:
            raise OSError(f"{self.name} unavailable")

    def release(self) -> None:
        self.threads.add(threading.get_ident())
        self.calls.append("release")


def test_first_working_inhibitor_is_held_until_inactive() -> None:
    broken = RecordingInhibitor("broken", fails=True)
    good = RecordingInhibitor("good")
    spare = RecordingInhibitor("spare")
    keeper = KeepAwake(reason="test", inhibitors=[broken, good, spare])
    try:
        keeper.set_active(True)
        keeper.set_active(True)  # idempotent: still one acquire
        assert keeper.wait_settled(10)
        assert keeper.holder == "good"
        assert good.calls == ["acquire"]
        assert spare.calls == []
        keeper.set_active(False)
        assert keeper.wait_settled(10)
        assert keeper.holder is None
        assert good.calls == ["acquire", "release"]
        # Every call came from the private thread (Windows ties the request to it), never ours.
        assert len(good.threads) == 1
        assert threading.get_ident() not in good.threads
    finally:
        keeper.close()


def test_close_releases_and_stops_the_thread() -> None:
    good = RecordingInhibitor("good")
    keeper = KeepAwake(reason="test", inhibitors=[good])
    keeper.set_active(True)
    assert keeper.wait_settled(10)
    keeper.close()
    assert good.calls == ["acquire", "release"]
    assert not any(t.name == "keep-awake" for t in threading.enumerate())
    keeper.set_active(True)  # after close: ignored, no new thread
    assert good.calls == ["acquire", "release"]


def test_nothing_available_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    keeper = KeepAwake(reason="test", inhibitors=[RecordingInhibitor("a", fails=True)])
    try:
        keeper.set_active(True)
        assert keeper.wait_settled(10)
        assert keeper.holder is None
        assert "Cannot keep the computer awake" in caplog.text
    finally:
        keeper.close()


def test_inactive_before_any_activity_starts_no_thread() -> None:
    keeper = KeepAwake(reason="test", inhibitors=[])
    keeper.set_active(False)
    assert keeper.wait_settled(1)
    assert not any(t.name == "keep-awake" for t in threading.enumerate())
    keeper.close()


class FakeKernel32:
    """Stands in for `ctypes.windll.kernel32` (this suite runs on Linux)."""

    def __init__(self) -> None:
        self.states: list[int] = []

    def SetThreadExecutionState(self, flags: int) -> int:
        self.states.append(flags)
        return 0x80000000


def test_windows_inhibitor_sets_and_clears_execution_state() -> None:
    kernel = FakeKernel32()
    inhibitor = WindowsInhibitor(kernel)
    inhibitor.acquire()
    inhibitor.release()
    assert kernel.states == [0x80000001, 0x80000000]


def test_windows_inhibitor_unavailable_elsewhere() -> None:
    with pytest.raises(OSError, match="only on Windows"):
        WindowsInhibitor().acquire()


def _script(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return folder


def _pids_running(pid_file: Path) -> bool:
    pid = int(pid_file.read_text().split()[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); the real question is whether it still runs.
    status = Path(f"/proc/{pid}/stat").read_text().split()[2]
    return status != "Z"


def test_systemd_inhibit_runs_cat_until_released(fake_bin: Path, tmp_path: Path) -> None:
    args_file = tmp_path / "args"
    pid_file = tmp_path / "pid"
    # Records its arguments, then becomes the command it was asked to run (like the real tool).
    _script(
        fake_bin,
        "systemd-inhibit",
        f'printf "%s\\n" "$@" > {args_file}\necho $$ > {pid_file}\n'
        'for last; do :; done\nexec "$last"\n',
    )
    keeper = KeepAwake(
        reason="Uploading 3 recordings",
        inhibitors=[systemd_inhibitor("Uploading", booted=lambda: True)],
    )
    try:
        keeper.set_active(True)
        assert keeper.wait_settled(10)
        assert keeper.holder == "systemd-inhibit"
        args = args_file.read_text().splitlines()
        assert "--what=sleep:idle" in args
        assert "--mode=block" in args
        assert "--why=Uploading" in args
        assert args[-1].endswith("/cat")
        assert _pids_running(pid_file)
        keeper.set_active(False)
        assert keeper.wait_settled(10)
        assert not _pids_running(pid_file)
    finally:
        keeper.close()


def test_systemd_inhibit_failure_falls_back(fake_bin: Path) -> None:
    _script(fake_bin, "systemd-inhibit", 'echo "Failed to inhibit: access denied" >&2\nexit 1\n')
    fallback = RecordingInhibitor("fallback")
    keeper = KeepAwake(
        reason="r", inhibitors=[systemd_inhibitor("r", booted=lambda: True), fallback]
    )
    try:
        keeper.set_active(True)
        assert keeper.wait_settled(10)
        assert keeper.holder == "fallback"
    finally:
        keeper.close()


@pytest.mark.parametrize(
    ("platform", "names"),
    [
        ("win32", ["SetThreadExecutionState"]),
        ("darwin", ["caffeinate"]),
        ("linux", ["systemd-inhibit", "D-Bus inhibit"]),
    ],
)
def test_each_os_tries_its_own_methods_in_order(platform: str, names: list[str]) -> None:
    assert [i.name for i in default_inhibitors("r", platform)] == names


@pytest.mark.skipif(sys.platform == "win32", reason="the fake caffeinate is a shell script")
def test_caffeinate_is_bound_to_our_process(fake_bin: Path, tmp_path: Path) -> None:
    """On macOS, `caffeinate -i -w <our pid>` ends with us even if we crash."""
    args_file = tmp_path / "args"
    _script(fake_bin, "caffeinate", f'printf "%s\\n" "$@" > {args_file}\nexec sleep 60\n')
    (inhibitor,) = default_inhibitors("r", "darwin")
    keeper = KeepAwake(reason="r", inhibitors=[inhibitor])
    try:
        keeper.set_active(True)
        assert keeper.wait_settled(10)
        assert keeper.holder == "caffeinate"
        assert args_file.read_text().splitlines() == ["-i", "-w", str(os.getpid())]
    finally:
        keeper.close()
    assert keeper.holder is None


def test_systemd_inhibit_needs_systemd(fake_bin: Path) -> None:
    _script(fake_bin, "systemd-inhibit", "exit 0\n")
    with pytest.raises(OSError, match="systemd is not running"):
        systemd_inhibitor("r", booted=lambda: False).acquire()


@pytest.fixture
def session_bus(tmp_path: Path) -> Iterator[str]:
    """A private D-Bus session bus (the real dbus-daemon), stopped afterwards."""
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert daemon.stdout is not None
    address = daemon.stdout.readline().decode().strip()
    try:
        yield address
    finally:
        daemon.terminate()
        daemon.wait(10)
        daemon.stdout.close()


class ScreenSaverService:
    """A real D-Bus service owning org.freedesktop.ScreenSaver on the private bus; records calls."""

    def __init__(self, address: str) -> None:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self._stop = threading.Event()
        self._conn = open_dbus_connection(bus=address)
        self._conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.ScreenSaver"))
        self._thread = threading.Thread(target=self._serve, name="fake-screensaver")
        self._thread.start()

    def _serve(self) -> None:
        from jeepney import HeaderFields, MessageType, new_method_return

        while not self._stop.is_set():
            try:
                msg = self._conn.receive(timeout=0.1)
            except TimeoutError:
                continue
            if msg.header.message_type != MessageType.method_call:
                continue
            member = msg.header.fields[HeaderFields.member]
            self.calls.append((member, msg.body))
            if member == "Inhibit":
                self._conn.send(new_method_return(msg, "u", (4242,)))
            else:
                self._conn.send(new_method_return(msg))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._conn.close()


def test_freedesktop_inhibit_over_a_real_bus(session_bus: str) -> None:
    service = ScreenSaverService(session_bus)
    try:
        inhibitor = FreedesktopInhibitor("Uploading recordings", bus=session_bus)
        keeper = KeepAwake(reason="r", inhibitors=[inhibitor])
        try:
            keeper.set_active(True)
            assert keeper.wait_settled(10)
            # PowerManagement has no owner on this bus, so the ScreenSaver interface is used.
            assert keeper.holder == "D-Bus ScreenSaver"
            keeper.set_active(False)
            assert keeper.wait_settled(10)
        finally:
            keeper.close()
        assert service.calls == [
            ("Inhibit", ("Proctor Uploader", "Uploading recordings")),
            ("UnInhibit", (4242,)),
        ]
    finally:
        service.close()


def test_freedesktop_inhibit_without_any_service(session_bus: str) -> None:
    with pytest.raises(OSError, match="ScreenSaver"):
        FreedesktopInhibitor("r", bus=session_bus).acquire()
