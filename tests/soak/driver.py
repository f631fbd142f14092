"""Runs ``proctor-uploader`` as a proctor would, and interferes on schedule: SIGKILL, backend
restart, network cut. Re-runs it (``resume``, or ``upload`` for files never queued) until done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from desktop.config import HOME_ENV, AppPaths
from desktop.engine.events import JobState
from desktop.engine.store import QueueStore
from tests.soak.chaos import Schedule
from tests.soak.files import SourceFile
from tests.support.backend_server import BackendProcess
from tests.support.faultproxy import FaultProxy

EXAM = "SOAK-1"
_FAILED = (JobState.FAILED, JobState.SOURCE_CHANGED, JobState.CANCELLED)


def app_paths(home: Path) -> AppPaths:
    """The CLI's folders under ``home`` (what ``PROCTOR_UPLOADER_HOME=home`` gives it)."""
    with mock.patch.dict(os.environ, {HOME_ENV: str(home)}):
        return AppPaths.default()


def cli_env(home: Path) -> dict[str, str]:
    """The CLI's environment: a private home, and no OS keyring (it signs in from stdin)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCTOR_")}
    env[HOME_ENV] = str(home)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Outcome:
    """What happened while driving the CLI.

    Attributes:
        rounds: CLI runs, with how each ended.
        kills: Progress (share of the bytes to upload, PUT bytes forwarded) at each SIGKILL.
        backend_restarts: Progress at each backend restart.
        outages: Progress at each network cut.
        finished: Every file ended completed (none failed) and the last run exited by itself.
        failed_jobs: Jobs the engine gave up on: (path, state, error).
        timed_out: The deadline passed before the uploads finished.
    """

    rounds: list[str] = field(default_factory=list)
    kills: list[float] = field(default_factory=list)
    backend_restarts: list[float] = field(default_factory=list)
    outages: list[float] = field(default_factory=list)
    finished: bool = False
    failed_jobs: list[tuple[str, str, str]] = field(default_factory=list)
    timed_out: bool = False


class Driver:
    """Drives the CLI to completion through the schedule's interference."""

    def __init__(
        self,
        *,
        home: Path,
        logs: Path,
        sources: list[SourceFile],
        password: str,
        storage_proxy: FaultProxy,
        backend_proxy: FaultProxy,
        backend: BackendProcess,
        schedule: Schedule,
        rate_limit: str | None,
        say: Callable[[str], None],
    ) -> None:
        """Prepare; nothing runs until :meth:`run`."""
        self._home, self._logs, self._sources = home, logs, sources
        self._password = password
        self._storage, self._api, self._backend = storage_proxy, backend_proxy, backend
        self._schedule = schedule
        self._rate_limit = rate_limit
        self._say = say
        self._total = max(1, sum(s.size for s in sources))
        self.outcome = Outcome()

    def progress(self) -> float:
        """PUT bytes the storage proxy forwarded, as a share of the bytes to upload."""
        return self._storage.stats().bytes_forwarded_by_method.get("PUT", 0) / self._total

    def _known_paths(self) -> dict[str, JobState]:
        store = QueueStore(app_paths(self._home).state_db)
        try:
            return {job.path: job.state for job in store.load_jobs()}
        finally:
            store.close()

    def _command(self) -> list[str]:
        known = self._known_paths()
        missing = [str(s.path) for s in self._sources if str(s.path) not in known]
        args = ["upload", *missing, "--exam", EXAM, "--kind", "webcam"] if missing else ["resume"]
        if self._rate_limit:
            args += ["--limit-rate", self._rate_limit]
        return [sys.executable, "-m", "desktop", *args, "--password-stdin"]

    def run(self, deadline: float, max_rounds: int) -> Outcome:
        """Run the CLI again and again until every job has ended (completed or failed), or time is
        up, or ``max_rounds`` runs did not get there."""
        for number in range(1, max_rounds + 1):
            if time.monotonic() > deadline:
                self.outcome.timed_out = True
                return self.outcome
            ended = self._one_round(number, deadline)
            self.outcome.rounds.append(ended)
            self._say(f"  run {number}: {ended}")
            states = [self._known_paths().get(str(s.path)) for s in self._sources]
            # Go on while anything can still finish, so one failed job does not hide the rest.
            if ended.startswith("exit") and all(
                state is JobState.COMPLETED or state in _FAILED for state in states
            ):
                self._collect_failures()
                self.outcome.finished = not self.outcome.failed_jobs
                return self.outcome
            if ended.startswith("exit 1"):
                time.sleep(1)  # e.g. the server was unreachable at start: try again shortly
        return self.outcome

    def _one_round(self, number: int, deadline: float) -> str:
        out = (self._logs / f"cli-run-{number:02d}.out").open("w")
        err = (self._logs / f"cli-run-{number:02d}.err").open("w")
        started = time.monotonic()
        with out, err:
            proc = subprocess.Popen(
                self._command(),
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,
                env=cli_env(self._home),
                cwd=self._home,
                text=True,
            )
            assert proc.stdin is not None
            proc.stdin.write(self._password + "\n")
            proc.stdin.close()
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    proc.kill()
                    proc.wait()
                    return "killed at the deadline"
                if (how := self._interfere(proc, started)) is not None:
                    return f"SIGKILL {how} at {self.outcome.kills[-1]:.0%} of the bytes"
                time.sleep(0.05)
        return f"exit {proc.returncode}"

    def _interfere(self, proc: subprocess.Popen[str], started: float) -> str | None:
        """Apply what is due now; how the CLI was killed, or None if it was not."""
        s, done = self._schedule, self.progress()
        if s.early_kill_after is not None and time.monotonic() - started >= s.early_kill_after:
            s.early_kill_after = None
            self._kill(proc, done)
            return f"{time.monotonic() - started:.1f} s after start"
        if s.kills and done >= s.kills[0]:
            s.kills.pop(0)
            self._kill(proc, done)
            return "mid-transfer"
        if s.backend_restart is not None and done >= s.backend_restart:
            s.backend_restart = None
            self._say(f"  backend crash + restart at {done:.0%}")
            self._backend.kill()
            self._backend.start()
            self.outcome.backend_restarts.append(done)
        if s.outage is not None and done >= s.outage:
            s.outage = None
            self._say(f"  network down for {s.outage_seconds} s at {done:.0%}")
            self._storage.network_down()
            self._api.network_down()
            time.sleep(s.outage_seconds)
            self._storage.network_up()
            self._api.network_up()
            self.outcome.outages.append(done)
        return None

    def _kill(self, proc: subprocess.Popen[str], at: float) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.outcome.kills.append(at)

    def _collect_failures(self) -> None:
        store = QueueStore(app_paths(self._home).state_db)
        try:
            for job in store.load_jobs():
                if job.state in _FAILED:
                    error = f"{job.error_title}: {job.error_message}"
                    self.outcome.failed_jobs.append((job.path, job.state.value, error))
        finally:
            store.close()
