"""How long the GUI's event loop stalls with 1,000 uploads reporting progress.

    .venv/bin/python -m benchmarks.gui_stall [--jobs 1000] [--seconds 15] [--rate 4]

The real window (offscreen), the real queue model and engine bridge, fed the way the engine feeds
them: `--jobs` jobs added at once, then every job reports progress `--rate` times a second from
engine threads, through queued signals. A 10 ms heartbeat timer on the GUI thread measures how
late it fires: that lateness is what a proctor feels as a frozen window. Prints p50/p99/max of
the stall, the time the model spends per refresh, and how many `dataChanged` signals a refresh
sends. Numbers depend on the machine (shared CI cores are noisy); tests never assert on them.

This is the synthetic variant (no network, no storage, every job progressing at once: the worst
case for the model). The issue's figure comes from `benchmarks/gui.py` (section `gui` of
`python -m benchmarks run`): the real app uploading 1,000 real files.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QApplication

from desktop.engine.events import JobSnapshot, JobState
from desktop.ui.bridge import EngineBridge
from desktop.ui.queue_model import UploadQueueModel
from desktop.ui.theme import apply_theme
from desktop.ui.views.main_window import MainWindow

HEARTBEAT_MS = 10
GIB = 1024**3


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _jobs(count: int) -> list[JobSnapshot]:
    return [
        JobSnapshot(
            job_id=f"job-{n:05d}",
            path=f"/recordings/exam-{n // 40:03d}/candidate_{n:05d}_webcam.mp4",
            size=2 * GIB,
            exam_id=f"EXAM-{n // 40:03d}",
            kind="webcam",
            state=JobState.UPLOADING if n < 200 else JobState.QUEUED,
            bytes_done=0,
            speed_bps=0.0,
            eta_seconds=None,
            error_title=None,
            error_message=None,
            key=None,
            priority=0,
            created_at=1_714_550_000.0 + n,
        )
        for n in range(count)
    ]


class Engine:
    """Engine-like threads: each owns a slice of the jobs and reports their progress."""

    def __init__(self, bridge: EngineBridge, jobs: list[JobSnapshot], rate: float) -> None:
        self.bridge = bridge
        self.jobs = jobs
        self.rate = rate
        self.stop = threading.Event()
        self.events = 0
        self._lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(jobs[i::4],), name=f"engine-{i}")
            for i in range(4)
        ]

    def start(self) -> None:
        for job in self.jobs:
            self.bridge.on_job_added(job=job)
        for thread in self.threads:
            thread.start()

    def _run(self, mine: list[JobSnapshot]) -> None:
        done = dict.fromkeys((j.job_id for j in mine), 0)
        period = 1.0 / self.rate
        sent = 0
        while not self.stop.wait(period):
            for job in mine:
                done[job.job_id] = min(job.size, done[job.job_id] + 3_000_000)
                self.bridge.on_progress(
                    job_id=job.job_id,
                    bytes_done=done[job.job_id],
                    total=job.size,
                    speed_bps=12e6,
                    eta_seconds=(job.size - done[job.job_id]) / 12e6,
                )
                sent += 1
        with self._lock:
            self.events += sent

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def run(jobs: int, seconds: float, rate: float) -> dict[str, float]:
    """Measure; returns the figures it prints."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app)
    model = UploadQueueModel()
    window = MainWindow(model, log_lines=[], log_path=None)
    window.resize(1200, 700)
    window.show()
    bridge = EngineBridge()
    queued = Qt.ConnectionType.QueuedConnection
    bridge.sig_job_added.connect(model.add_job, queued)
    bridge.sig_job_changed.connect(model.update_job, queued)
    model.set_progress_source(bridge.take_progress)

    refresh_ms: list[float] = []
    changed_signals: list[int] = []
    signals_this_refresh = [0]
    model.dataChanged.connect(
        lambda *_: signals_this_refresh.__setitem__(0, signals_this_refresh[0] + 1)
    )
    original_flush = model.flush

    def timed_flush() -> None:
        signals_this_refresh[0] = 0
        started = time.perf_counter()
        original_flush()
        refresh_ms.append((time.perf_counter() - started) * 1000)
        changed_signals.append(signals_this_refresh[0])

    model._timer.timeout.disconnect()
    model._timer.timeout.connect(timed_flush)

    lateness: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def beat() -> None:
        now = clock.nsecsElapsed()
        lateness.append(max(0.0, (now - last[0]) / 1e6 - HEARTBEAT_MS))
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(beat)

    engine = Engine(bridge, _jobs(jobs), rate)
    started = time.monotonic()
    deadline = started + seconds
    heartbeat.start()
    engine.start()
    gui_cpu = time.thread_time()
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.001)
    gui_cpu = time.thread_time() - gui_cpu
    elapsed = time.monotonic() - started
    engine.join()
    heartbeat.stop()
    app.processEvents()
    shown = model.rowCount()
    window.close()
    steady = lateness[len(lateness) // 10 :]  # skip the first tenth: the initial 1,000 inserts
    return {
        "rows": shown,
        "events": engine.events,
        "events_per_second": engine.events / seconds,
        "stall_p50_ms": _percentile(steady, 0.50),
        "stall_p99_ms": _percentile(steady, 0.99),
        "stall_max_ms": max(lateness) if lateness else 0.0,
        "refresh_mean_ms": statistics.fmean(refresh_ms) if refresh_ms else 0.0,
        "refresh_p99_ms": _percentile(refresh_ms, 0.99),
        "data_changed_per_refresh": statistics.fmean(changed_signals) if changed_signals else 0.0,
        # CPU the GUI thread used, as a share of one core: robust to a busy shared machine.
        "gui_thread_cpu_percent": 100 * gui_cpu / elapsed,
        "load_average": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    """Run and print a short report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--rate", type=float, default=4.0, help="progress events per job per second"
    )
    args = parser.parse_args(argv)
    figures = run(args.jobs, args.seconds, args.rate)
    print(
        f"GUI event-loop stall with {figures['rows']:.0f} jobs reporting progress "
        f"({figures['events_per_second']:.0f} events/s for {args.seconds:.0f} s, offscreen)"
    )
    print(
        f"  heartbeat lateness  p50 {figures['stall_p50_ms']:6.1f} ms   "
        f"p99 {figures['stall_p99_ms']:6.1f} ms   max {figures['stall_max_ms']:6.1f} ms"
    )
    print(
        f"  GUI thread CPU      {figures['gui_thread_cpu_percent']:5.1f} % of one core   "
        f"(load average {figures['load_average']:.1f} on {os.cpu_count()} cores)"
    )
    print(
        f"  model refresh       mean {figures['refresh_mean_ms']:5.1f} ms   "
        f"p99 {figures['refresh_p99_ms']:6.1f} ms   "
        f"dataChanged per refresh {figures['data_changed_per_refresh']:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
