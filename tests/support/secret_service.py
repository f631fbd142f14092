"""A real, private Secret Service (gnome-keyring) on a private D-Bus session bus, for keyring tests.

Recipe from ENVIRONMENT.md: with a temporary HOME and XDG directories, start ``dbus-daemon
--session``, then ``gnome-keyring-daemon --foreground --unlock --components=secrets`` on that bus
with a password on its stdin (``--unlock`` is required, or the first write fails with "Prompt
dismissed"), and wait until the default collection is unlocked. Both daemons are stopped by PID
afterwards; nothing of the developer's own keyring or session bus is touched.

While the context is open, ``DBUS_SESSION_BUS_ADDRESS`` in this process points at the private bus,
because ``keyring``'s SecretService backend (through ``secretstorage``) opens a new connection from
the environment on every call.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import keyring.backends.SecretService
import secretstorage
from jeepney.bus_messages import message_bus
from keyring.backend import KeyringBackend

__all__ = ["clear_default_collection", "private_secret_service"]

_KEYRING_PASSWORD = b"private-test-keyring"
_SECRETS_NAME = "org.freedesktop.secrets"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


_PR_SET_CHILD_SUBREAPER = 36


def _set_subreaper(enabled: bool) -> bool:
    """Adopt orphaned descendants (Linux), so gnome-keyring's own daemon child can be reaped.

    ``gnome-keyring-daemon --unlock`` forks a ``--start`` daemon that is re-parented away from
    us; as our adopted child it can be stopped by PID and reaped instead of lingering as a zombie.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, int(enabled), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _adopted_children(known: set[int]) -> list[int]:
    """PIDs of our children that we did not start (orphans adopted as subreaper)."""
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in known:
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == me and "gnome-keyring" in stat:
            found.append(int(entry.name))
    return found


def _stop_adopted(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _wait_unlocked(deadline: float, keyring_proc: subprocess.Popen[bytes]) -> None:
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if keyring_proc.poll() is not None:
            raise RuntimeError(
                f"gnome-keyring-daemon exited early (code {keyring_proc.returncode})"
            )
        try:
            with closing(secretstorage.dbus_init()) as connection:
                # Call the service only once our daemon owns its name: a call to an unowned name
                # makes dbus-daemon start another gnome-keyring from its .service file (no
                # --unlock, so no "login" collection), which takes the name; ours then gives up
                # ("another secret service is running") and the default alias never appears.
                owner = connection.send_and_get_reply(message_bus.NameHasOwner(_SECRETS_NAME))
                if not owner.body[0]:
                    time.sleep(0.05)
                    continue
                # Collection() only looks the alias up. get_default_collection() would try to
                # create a collection while gnome-keyring is still creating "login", and that
                # prompt is dismissed.
                collection = secretstorage.Collection(connection)
                if not collection.is_locked():
                    return
        except (secretstorage.exceptions.SecretStorageException, OSError) as exc:
            last_error = exc
        time.sleep(0.05)
    raise RuntimeError(f"the private Secret Service did not become ready: {last_error!r}")


@contextmanager
def private_secret_service(*, timeout: float = 30.0) -> Iterator[KeyringBackend]:
    """Run a private gnome-keyring Secret Service; yield a keyring backend bound to it.

    Args:
        timeout: Seconds to wait for the daemons to become ready.

    Yields:
        A ``keyring.backends.SecretService.Keyring`` that stores into the private keyring.

    Raises:
        RuntimeError: ``dbus-daemon`` or ``gnome-keyring-daemon`` is missing or did not start.
    """
    for tool in ("dbus-daemon", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            raise RuntimeError(
                f"{tool} is not installed; install the Debian packages gnome-keyring, dbus-daemon, "
                "dbus-bin (./dev setup does)"
            )
    root = Path(tempfile.mkdtemp(prefix="secret-service-"))
    env = dict(os.environ)
    for name, sub in (
        ("HOME", "home"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_RUNTIME_DIR", "runtime"),
    ):
        folder = root / sub
        folder.mkdir(mode=0o700)
        env[name] = str(folder)
    procs: list[subprocess.Popen[bytes]] = []
    adopted: list[int] = []
    saved_address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    subreaper = _set_subreaper(True)
    try:
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        procs.append(bus)
        assert bus.stdout is not None
        address = bus.stdout.readline().decode().strip()
        if not address:
            raise RuntimeError(f"dbus-daemon did not print its address (exit code {bus.poll()})")
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        with (root / "gnome-keyring.log").open("wb") as log:
            daemon = subprocess.Popen(
                ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        procs.append(daemon)
        assert daemon.stdin is not None
        daemon.stdin.write(_KEYRING_PASSWORD)
        daemon.stdin.close()
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
        _wait_unlocked(time.monotonic() + timeout, daemon)
        if subreaper:
            adopted = _adopted_children({p.pid for p in procs})
        yield keyring.backends.SecretService.Keyring()  # type: ignore[no-untyped-call]
    finally:
        if saved_address is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = saved_address
        for pid in adopted:
            _stop_adopted(pid)
        for proc in reversed(procs):
            _stop(proc)
            if proc.stdout is not None:
                proc.stdout.close()
        if subreaper:
            for pid in _adopted_children({p.pid for p in procs}):
                _stop_adopted(pid)  # one that forked late
            _set_subreaper(False)
        shutil.rmtree(root, ignore_errors=True)


def clear_default_collection() -> None:
    """Delete every item of the private keyring's default collection (isolation between tests)."""
    with closing(secretstorage.dbus_init()) as connection:
        collection = secretstorage.get_default_collection(connection)
        for item in collection.get_all_items():
            item.delete()
