"""Run a client as a child process and measure it: wall time, user+sys CPU and peak RSS of its tree.

`os.wait4` returns the CPU time of the child *and every descendant it waited for*, and nothing else,
so the numbers cover exactly the client (a Python interpreter, a Go binary, or a launcher and what
it started) and never the servers it talks to, the harness, or other helpers' work on the cores.

Peak RSS does NOT come from wait4's `ru_maxrss`: Linux folds the RSS of the pre-exec image (a copy
of the harness itself, ~70 MiB with boto3 loaded) into it, so every tool would read at least that.
Instead a thread samples `VmHWM` (the kernel's own high-water mark of the exec'd image) of every
process in the tree every 20 ms; being a high-water mark, a sample misses nothing but the growth of
the last 20 ms before exit.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Measured:
    """What one client run cost.

    Attributes:
        returncode: Exit status (negative: killed by that signal).
        wall_s: Seconds from spawn to exit.
        user_s: User CPU seconds of the process tree.
        sys_s: System CPU seconds of the process tree.
        maxrss_kib: Peak resident set (VmHWM) of the largest process in the tree, KiB.
        output_tail: The last lines of stdout+stderr, for error reports.
    """

    returncode: int
    wall_s: float
    user_s: float
    sys_s: float
    maxrss_kib: int
    output_tail: str

    @property
    def cpu_s(self) -> float:
        """User plus system CPU seconds."""
        return self.user_s + self.sys_s


class ClientFailed(RuntimeError):
    """A measured client exited non-zero; the message carries the tail of its output."""


def run_measured(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdin_data: bytes | None = None,
    timeout: float = 3600.0,
    log_path: Path | None = None,
    watch: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> Measured:
    """Run `argv` to completion and return its resource use.

    Args:
        argv: The command.
        env: Full environment of the child (default: ours).
        cwd: Working directory.
        stdin_data: Bytes written to the child's stdin, which is then closed.
        timeout: Seconds after which the child's process group is killed.
        log_path: Where stdout+stderr go (default: a temporary file that is deleted).
        watch: Called once, in this thread, right after the spawn; it may block and may kill the
            child (the resume benchmark kills at 50 %). It must not wait for the child itself.
    """
    own_log = log_path is None
    path = log_path or Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-client-{os.getpid()}.log"
    with path.open("wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a timeout kills launcher and children
        )
        if stdin_data is not None and proc.stdin is not None:
            proc.stdin.write(stdin_data)
            proc.stdin.close()
        sampler = _HighWater(proc.pid)
        sampler.start()
        if watch is not None:
            watch(proc)
        status, rusage = _wait4(proc, timeout)
        wall = time.perf_counter() - start
        sampler.stop()
    tail = _tail(path)
    if own_log:
        path.unlink(missing_ok=True)
    return Measured(
        returncode=os.waitstatus_to_exitcode(status),
        wall_s=wall,
        user_s=rusage.ru_utime,
        sys_s=rusage.ru_stime,
        maxrss_kib=sampler.peak_kib,
        output_tail=tail,
    )


class _HighWater(threading.Thread):
    """Samples VmHWM of a process and its descendants until stopped."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(name=f"hwm-{pid}", daemon=True)
        self._root = pid
        self._interval = interval
        self._done = threading.Event()
        self.peak_kib = 0

    def run(self) -> None:
        while not self._done.is_set():
            for pid in _tree(self._root):
                self.peak_kib = max(self.peak_kib, _vm_hwm_kib(pid))
            self._done.wait(self._interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree(root: int) -> list[int]:
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        # A process that exits meanwhile takes its /proc entries with it, at any step of this.
        with contextlib.suppress(OSError, ValueError):
            for children in list(Path(f"/proc/{pid}/task").glob("*/children")):
                with contextlib.suppress(OSError):
                    todo.extend(int(c) for c in children.read_text().split())
    return pids


def _vm_hwm_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def check(measured: Measured, what: str) -> Measured:
    """Raise `ClientFailed` unless the run exited 0."""
    if measured.returncode != 0:
        raise ClientFailed(f"{what} exited {measured.returncode}:\n{measured.output_tail}")
    return measured


def _wait4(proc: subprocess.Popen[bytes], timeout: float) -> tuple[int, resource.struct_rusage]:
    deadline = time.monotonic() + timeout
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            # Popen must not try to reap a pid we already reaped (it could belong to someone else).
            proc.returncode = os.waitstatus_to_exitcode(status)
            return status, rusage
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.01)


def _tail(path: Path, lines: int = 25) -> str:
    try:
        data = path.read_bytes()[-8192:]
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (and whose +10000 is free too).

    SeaweedFS opens gRPC on port+10000, so both must be free.
    """
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port + 10000 < 65536 and _is_free(port + 10000):
            return port
    raise RuntimeError("no free port pair found on 127.0.0.1")


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Block until something accepts TCP connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


@contextlib.contextmanager
def background(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    log_path: Path,
    cwd: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server for the duration of the block; stop it (TERM, then KILL) afterwards."""
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            stop(proc)


def stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Terminate `proc`'s process group, escalating to SIGKILL after `grace` seconds."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def cpu_seconds_of(pid: int) -> float:
    """User+sys CPU seconds a live process (and its reaped children) has used so far, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    # utime, stime, cutime, cstime are fields 14-17 of stat; after the ")" split they start at 11.
    return sum(int(v) for v in fields[11:15]) / ticks


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a live process and all its live descendants (a server and its workers)."""
    return sum(cpu_seconds_of(p) for p in _tree(pid))


def start_py_spy(pid: int, output: Path, *, rate: int = 100) -> subprocess.Popen[bytes] | None:
    """Sample `pid` (and its worker processes) with py-spy into collapsed stacks at `output`.

    Returns None when py-spy is not installed (`.venv/bin/pip install py-spy`). It samples without
    pausing the target (`--nonblocking`), so the profiled run keeps its timing. Idle threads are
    left out, so the samples show where CPU time goes (hashing included: hashlib releases the GIL,
    so `--gil` would hide it).
    """
    py_spy = Path(sys.executable).with_name("py-spy")
    if not py_spy.exists():
        return None
    output.parent.mkdir(parents=True, exist_ok=True)
    argv = [str(py_spy), "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw"]
    argv += ["--output", str(output), "--nonblocking", "--subprocesses"]
    log = output.with_suffix(".log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    time.sleep(1.0)  # let it attach before the measured work starts
    return proc


def stop_py_spy(proc: subprocess.Popen[bytes] | None) -> None:
    """Stop a py-spy recorder; SIGINT makes it write its output first."""
    if proc is None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
