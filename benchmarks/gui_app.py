"""The real app under load, measured from inside (the child process of `benchmarks.gui`).

    python -m benchmarks.gui_app --server URL --username U --folder DIR --files N < password

Builds the app the way `desktop.app` does (real `AppController`, `MainWindow` shown offscreen,
`EngineBridge`, `UploadQueue` with the app's default settings, real HTTP to the backend and real
PUTs to S3), signs in, then adds DIR the way a drop does (folder walk off the GUI thread, the real
add prompt filled in, the engine's adds on the command lane) and lets every file upload. A 10 ms
precise heartbeat timer on the GUI thread records how late each tick fires: that lateness is a
frozen window. Prints one JSON document on stdout.

Only the OS edges differ from `desktop.app`: the credentials stay in memory, no sleep inhibitor, no
tray, and the add prompt is answered through its widgets instead of waiting for a click.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QApplication

from desktop import wiring
from desktop.app import prefer_gui_thread
from desktop.auth.credentials import MemoryCredentialStore
from desktop.config import AppConfig
from desktop.engine.events import TERMINAL, JobState
from desktop.file_scan import Selection
from desktop.keepawake import KeepAwake
from desktop.log import RecentLogBuffer
from desktop.ui.controller import AppController, Services
from desktop.ui.dialogs.add_files import AddFilesDialog, AddRequest
from desktop.ui.theme import apply_theme

HEARTBEAT_MS = 10
#: Ticks later than this are broken down by where their interval went (`Probe.late_breakdown`).
LATE_MS = 20
EXAM_ID = "BENCH-GUI"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def stall_stats(lateness: list[float]) -> dict[str, float]:
    """p50, p99, max and count of heartbeat lateness in milliseconds."""
    return {
        "ticks": len(lateness),
        "p50_ms": round(percentile(lateness, 0.50), 2),
        "p99_ms": round(percentile(lateness, 0.99), 2),
        "max_ms": round(max(lateness, default=0.0), 2),
        "over_50ms": sum(1 for v in lateness if v > 50),
    }


def build_controller(server: str, bandwidth_kib: int = 0) -> AppController:
    """The app's controller, built by `desktop.wiring` as `desktop.app` builds it (OS edges aside:
    no keyring, no tray, no keep-awake)."""
    config = AppConfig(
        server_url=server, allow_insecure_http=True, bandwidth_limit_kib=bandwidth_kib
    )
    buffer = RecentLogBuffer()
    paths, log_path = wiring.start_logging(verbose=False, buffer=buffer)
    services = Services(
        paths=paths,
        session=wiring.auth_session(lambda: config, MemoryCredentialStore()),
        make_queue=wiring.queue_factory(paths),
        keep_awake=KeepAwake(reason="benchmark", inhibitors=[]),
        log_path=log_path,
        log_buffer=buffer,
        tray_available=lambda: False,
        acquire_engine_lock=wiring.engine_lock(paths),
        quit_app=lambda: None,
    )
    return AppController(config, services)


def answer_add_prompt(parent: Any, selection: Selection, **kwargs: Any) -> AddRequest | None:
    """The real prompt, built and filled in through its widgets (no modal wait for a click)."""
    dialog = AddFilesDialog(parent, selection, **kwargs)
    dialog.exam_edit.setText(EXAM_ID)
    request = dialog.request() if dialog.ok_button.isEnabled() else None
    dialog.deleteLater()
    return request


class Probe:
    """Heartbeat lateness and model refresh costs, split by phase."""

    def __init__(self, controller: AppController) -> None:
        self.clock = QElapsedTimer()
        self.clock.start()
        self.phase = "idle"
        self.lateness: dict[str, list[float]] = {"adding": [], "uploading": []}
        self.refresh_ms: list[float] = []
        self.changed_per_refresh: list[int] = []
        self._signals = 0
        self._last = self.clock.nsecsElapsed()
        self._sched = _schedstat()
        self.late_split: dict[str, list[tuple[float, float, float]]] = {
            "adding": [],
            "uploading": [],
        }
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._beat)
        model = controller.model
        model.dataChanged.connect(self._count)
        flush = model.flush

        def timed_flush() -> None:
            self._signals = 0
            started = time.perf_counter()
            flush()
            self.refresh_ms.append((time.perf_counter() - started) * 1000)
            self.changed_per_refresh.append(self._signals)

        model._timer.timeout.disconnect()
        model._timer.timeout.connect(timed_flush)

    def _count(self, *_: object) -> None:
        self._signals += 1

    def _beat(self) -> None:
        now = self.clock.nsecsElapsed()
        late = max(0.0, (now - self._last) / 1e6 - HEARTBEAT_MS)
        self._last = now
        sched = _schedstat()
        if self.phase in self.lateness:
            self.lateness[self.phase].append(late)
            if late > LATE_MS and sched and self._sched:
                # Where the late interval went: on a CPU (our work, Python or Qt's), waiting in
                # the kernel's run queue for a CPU, or neither (blocked: the interpreter lock).
                interval = late + HEARTBEAT_MS
                on_cpu = (sched[0] - self._sched[0]) / 1e6
                runq = (sched[1] - self._sched[1]) / 1e6
                self.late_split[self.phase].append((interval, on_cpu, runq))
        self._sched = sched

    def start(self) -> None:
        self._last = self.clock.nsecsElapsed()
        self._sched = _schedstat()
        self.timer.start()

    def late_breakdown(self, phase: str | None = None) -> dict[str, float]:
        """Over the ticks later than `LATE_MS`: shares of their intervals by where the time went."""
        everything = [t for ticks in self.late_split.values() for t in ticks]
        split = self.late_split[phase] if phase else everything
        total = sum(i for i, _, _ in split)
        if not total:
            return {"ticks": 0}
        cpu = sum(c for _, c, _ in split)
        runq = sum(r for _, _, r in split)
        return {
            "ticks": len(split),
            "interval_ms": round(total, 1),
            "on_cpu_share": round(cpu / total, 3),
            "run_queue_share": round(runq / total, 3),
            "blocked_share": round(max(0.0, 1 - (cpu + runq) / total), 3),
        }


def _schedstat() -> tuple[int, int] | None:
    """This thread's nanoseconds on a CPU and waiting in the run queue (Linux), else None."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as handle:
            fields = handle.read().split()
    except OSError:
        return None
    return int(fields[0]), int(fields[1])


def run(
    server: str,
    username: str,
    password: str,
    folder: Path,
    files: int,
    timeout: float,
    bandwidth_kib: int = 0,
) -> Any:
    """Sign in, add `folder`, upload every file (at most `bandwidth_kib` KiB/s); the figures."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app)
    prefer_gui_thread()  # as desktop.app does
    AddFilesDialog.ask = answer_add_prompt  # type: ignore[method-assign]
    controller = build_controller(server, bandwidth_kib)
    controller.window.resize(1200, 700)
    controller.start_signed_in(server, username, password)
    deadline = time.monotonic() + 120
    while controller.queue is None and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    if controller.queue is None:
        raise SystemExit("the app did not start its upload queue within 120 s")

    probe = Probe(controller)
    model = controller.model
    marks: dict[str, float] = {}
    finished: list[tuple[int, int]] = []
    model.sig_batch_finished.connect(lambda done, bad: finished.append((done, bad)))

    def watch() -> None:
        now = time.monotonic()
        if "add" not in marks:
            return
        if "rows" not in marks and model.rowCount() >= files:
            marks["rows"] = now
            probe.phase = "uploading"
        if "rows" in marks and finished:
            marks["done"] = now
            app.quit()
        elif now - marks["add"] > timeout:
            marks["timeout"] = now
            app.quit()

    watcher = QTimer()
    watcher.setInterval(50)
    watcher.timeout.connect(watch)

    def begin() -> None:
        probe.phase = "adding"
        marks["add"] = time.monotonic()
        controller.add_paths([str(folder)])

    probe.start()
    watcher.start()
    QTimer.singleShot(500, begin)  # a calm half second of heartbeat first
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    gui0 = time.thread_time()
    load0 = os.getloadavg()
    app.exec()
    gui_cpu = time.thread_time() - gui0
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    probe.timer.stop()
    watcher.stop()
    jobs = model.jobs()
    states: dict[str, int] = {}
    for job in jobs:
        states[job.state.value] = states.get(job.state.value, 0) + 1
    wall = marks.get("done", marks.get("timeout", time.monotonic())) - marks["add"]
    adding = probe.lateness["adding"]
    uploading = probe.lateness["uploading"]
    result = {
        "files": files,
        "bytes": sum(j.size for j in jobs),
        "rows": model.rowCount(),
        "states": states,
        "completed": states.get(JobState.COMPLETED.value, 0),
        "all_terminal": all(j.state in TERMINAL for j in jobs),
        "timed_out": "timeout" in marks,
        "add_to_rows_s": round(marks.get("rows", marks["add"]) - marks["add"], 2),
        "duration_s": round(wall, 2),
        "stall": stall_stats(adding + uploading),
        "stall_adding": stall_stats(adding),
        "stall_uploading": stall_stats(uploading),
        "late_ticks_breakdown": probe.late_breakdown(),
        "late_ticks_breakdown_adding": probe.late_breakdown("adding"),
        "late_ticks_breakdown_uploading": probe.late_breakdown("uploading"),
        "refresh_mean_ms": round(sum(probe.refresh_ms) / max(1, len(probe.refresh_ms)), 2),
        "refresh_p99_ms": round(percentile(probe.refresh_ms, 0.99), 2),
        "refresh_max_ms": round(max(probe.refresh_ms, default=0.0), 2),
        "data_changed_per_refresh": round(
            sum(probe.changed_per_refresh) / max(1, len(probe.changed_per_refresh)), 2
        ),
        "gui_thread_cpu_s": round(gui_cpu, 2),
        "process_cpu_s": round(
            usage1.ru_utime + usage1.ru_stime - usage0.ru_utime - usage0.ru_stime, 2
        ),
        "gui_thread_cpu_percent": round(100 * gui_cpu / wall, 1) if wall > 0 else 0.0,
        "engine": {"files": controller.config.parallel_files, "parts": _parts(controller)},
        "loadavg_at_start": [round(x, 2) for x in load0],
        "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    controller.shutdown()
    controller.services.session.close()
    return result


def _parts(controller: AppController) -> int:
    config = controller.config
    return config.parallel_files * config.parallel_parts


def main(argv: list[str] | None = None) -> int:
    """Parse arguments (the password comes on stdin), run, print the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--files", type=int, required=True, help="how many files the folder has")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--bandwidth-kib", type=int, default=0, help="upload limit; 0 = none")
    args = parser.parse_args(argv)
    password = sys.stdin.readline().rstrip("\n")
    result = run(
        args.server,
        args.username,
        password,
        args.folder,
        args.files,
        args.timeout,
        args.bandwidth_kib,
    )
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)  # Qt's teardown of a thousand rows is not what is measured


if __name__ == "__main__":
    sys.exit(main())
