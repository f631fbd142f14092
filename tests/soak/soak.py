"""One soak run: SeaweedFS, the backend as a subprocess, two fault proxies, the CLI, then checks."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from desktop.config import AppConfig
from tests.soak.chaos import Intensity, Schedule, install_faults
from tests.soak.checks import JWT_PREFIX, Check, verify
from tests.soak.driver import Driver, Outcome, app_paths, cli_env
from tests.soak.files import MIB, plan_sizes, write_sources
from tests.support.backend_server import BackendProcess
from tests.support.faultproxy import FaultProxy
from tests.support.storage import make_bucket, seaweedfs_server

USERNAME = "soak-proctor"
PASSWORD = "soak password never logged 7261"


@dataclass(frozen=True)
class SoakConfig:
    """One run's parameters.

    Attributes:
        files: How many recordings.
        max_size: The largest (0 B is always among them).
        seed: Seeds sizes, faults and the schedule.
        kills: SIGKILLs of the CLI (at least 2).
        budget: Total bytes of all files; None picks ``2 x max_size + files x min(max, 8 MiB)``.
        part_size: Part size the CLI asks for.
        url_ttl: Presigned URL lifetime, seconds.
        token_ttl: Access token lifetime, seconds.
        rate_limit: The CLI's ``--limit-rate`` (spreads a small run over the schedule), or None.
        intensity: Fault shares.
        workdir: Where everything goes; None makes a temporary folder.
        keep: Keep the folder afterwards (it is always kept when a check fails).
        deadline: Seconds the uploads may take before the run counts as failed.
        max_rounds: CLI runs before giving up.
    """

    files: int
    max_size: int
    seed: int
    kills: int = 2
    budget: int | None = None
    part_size: int = 5 * MIB
    url_ttl: int = 5
    token_ttl: int = 5
    rate_limit: str | None = None
    intensity: Intensity = field(default_factory=Intensity)
    workdir: Path | None = None
    keep: bool = False
    deadline: float = 3 * 3600
    max_rounds: int = 40


@dataclass
class SoakReport:
    """What the run did and found.

    Attributes:
        lines: The printed report.
        checks: The verdicts.
        outcome: How driving the CLI went.
        workdir: Where its files are (if kept).
    """

    lines: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    outcome: Outcome | None = None
    workdir: Path | None = None

    @property
    def ok(self) -> bool:
        """Everything uploaded, nothing failed, every check held, the chaos actually happened."""
        o = self.outcome
        return (
            o is not None
            and o.finished
            and not o.failed_jobs
            and bool(self.checks)
            and all(c.ok for c in self.checks)
        )


def run_soak(config: SoakConfig, say: Callable[[str], None] = print) -> SoakReport:
    """Run the soak and return its report (printed line by line through ``say`` as it goes)."""
    if config.kills < 2:
        raise ValueError("the soak kills the CLI at least twice")
    report = SoakReport()

    def line(text: str) -> None:
        report.lines.append(text)
        say(text)

    work = config.workdir or Path(tempfile.mkdtemp(prefix="proctor-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    report.workdir = work
    budget = config.budget or 2 * config.max_size + config.files * min(config.max_size, 8 * MIB)
    sizes = plan_sizes(config.files, config.max_size, config.part_size, config.seed, budget)
    line(
        f"soak seed={config.seed}: {len(sizes)} files, {sum(sizes)} bytes "
        f"({min(sizes)}..{max(sizes)} B), work dir {work}"
    )
    sources = write_sources(work / "recordings", sizes, config.seed)
    started = time.monotonic()
    with ExitStack() as stack:
        endpoint = stack.enter_context(seaweedfs_server(work / "seaweedfs"))
        bucket = make_bucket(endpoint)
        storage_proxy = stack.enter_context(FaultProxy(endpoint.endpoint_url))
        backend = BackendProcess(
            endpoint,
            bucket=bucket,
            data_dir=work / "backend",
            s3_public_endpoint_url=storage_proxy.url,
            url_ttl_seconds=config.url_ttl,
            access_token_ttl_seconds=config.token_ttl,
            default_part_size=config.part_size,
        )
        backend.add_user(USERNAME, PASSWORD)
        stack.callback(backend.stop)
        backend.start()
        backend_proxy = stack.enter_context(FaultProxy(backend.url))
        home, logs = work / "home", work / "cli-output"
        logs.mkdir(exist_ok=True)
        _login(home, backend_proxy.url, config.part_size)
        rules = install_faults(storage_proxy, backend_proxy, config.seed, config.intensity)
        schedule = Schedule.draw(config.seed, config.kills)
        line(
            f"schedule: kills at {schedule.kills} (+1 early, {schedule.early_kill_after} s in), "
            f"backend restart at {schedule.backend_restart}, network cut at {schedule.outage} "
            f"for {schedule.outage_seconds} s; URL TTL {config.url_ttl} s, "
            f"token TTL {config.token_ttl} s"
        )
        driver = Driver(
            home=home,
            logs=logs,
            sources=sources,
            password=PASSWORD,
            storage_proxy=storage_proxy,
            backend_proxy=backend_proxy,
            backend=backend,
            schedule=schedule,
            rate_limit=config.rate_limit,
            say=line,
        )
        outcome = driver.run(started + config.deadline, config.max_rounds)
        report.outcome = outcome
        elapsed = time.monotonic() - started
        _describe(line, outcome, storage_proxy, backend_proxy, rules, sum(sizes), elapsed)
        storage_proxy.clear_rules()
        backend_proxy.clear_rules()
        report.checks = verify(
            sources=sources,
            home=home,
            endpoint=endpoint,
            bucket=bucket,
            api=backend.api,
            username=USERNAME,
            password=PASSWORD,
            scan=[home, logs, backend.log_path.parent],
            secrets=[
                PASSWORD.encode(),
                JWT_PREFIX,
                b"X-Amz-Signature=",
                b"X-Amz-Credential=",
                b"X-Amz-Security-Token=",
                endpoint.secret_key.encode(),
            ],
        )
        if len(outcome.kills) < config.kills:
            report.checks.append(
                Check(
                    "chaos schedule exercised", False, f"only {len(outcome.kills)} kills happened"
                )
            )
        for check in report.checks:
            line(f"{'PASS' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    line(f"RESULT: {'OK, nothing lost' if report.ok else 'FAILED'}")
    if report.ok and not config.keep and config.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
        report.workdir = None
    else:
        line(f"files kept in {work}")
    return report


def _login(home: Path, server: str, part_size: int) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop",
            "login",
            "--server",
            server,
            "--username",
            USERNAME,
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=cli_env(home),
        timeout=120,
        check=False,
    )
    # The soak runs without an OS keyring (each command reads the password from stdin), so
    # `login` only saves the server and user name and exits 3, as docs/cli.md says it does.
    if result.returncode != 3:
        raise RuntimeError(f"login failed: {result.stderr.strip()}")
    paths = app_paths(home)
    config = AppConfig.load(paths.config_file)
    dataclasses.replace(config, part_size_mib=part_size // MIB).save(paths.config_file)


def _describe(
    line: Callable[[str], None],
    outcome: Outcome,
    storage: FaultProxy,
    api: FaultProxy,
    rules: dict[str, int],
    total: int,
    elapsed: float,
) -> None:
    s, a = storage.stats(), api.stats()
    put = s.bytes_forwarded_by_method.get("PUT", 0)
    line(
        f"runs: {len(outcome.rounds)}; kills at {[f'{k:.0%}' for k in outcome.kills]}; "
        f"backend restarts at {[f'{k:.0%}' for k in outcome.backend_restarts]}; "
        f"network cuts at {[f'{k:.0%}' for k in outcome.outages]}; {elapsed:.0f} s"
    )
    line(
        f"traffic: {s.requests} storage requests, {a.requests} API requests; "
        f"PUT bytes {put} for {total} file bytes (x{put / max(total, 1):.2f})"
    )
    faults = []
    for name, rule_id in rules.items():
        count = (s.rules_fired if name.startswith("storage") else a.rules_fired).get(rule_id, 0)
        faults.append(f"{name} x{count}")
    line("faults: " + "; ".join(faults))
    for path, state, error in outcome.failed_jobs:
        line(f"FAILED JOB {path}: {state}: {error}")
    if outcome.timed_out:
        line("TIMED OUT before every file was uploaded")
