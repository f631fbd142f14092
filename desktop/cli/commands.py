"""The CLI's subcommands. Each returns an exit code; every failure a user can cause is one line.

Sign-in: the server and user name come from the settings file that ``login`` writes; the refresh
token from the OS keyring (``AuthSession.restore``). Without a remembered sign-in, a terminal gets a
password prompt and a script passes ``--password-stdin``; neither is ever stored.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from desktop import wiring
from desktop.cli.display import PlainDisplay, RichDisplay, describe
from desktop.cli.outcome import (
    EXIT_AUTH,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    say,
)
from desktop.config import AppConfig, AppPaths
from desktop.engine.events import RETRYABLE_TERMINAL, TERMINAL, JobSnapshot, JobState
from desktop.errors import AuthError, NetworkError, UploaderError
from desktop.recordings import kind_for
from desktop.sizes import format_size

# What only some commands need is imported where it is used (issue 6: every CPU-millisecond of
# start-up delays the first byte after `resume`): `status` and `receipts` never load requests,
# keyring or the engine's threads; `resume` never loads receipts' CSV/JSON export, the file-type
# check of `upload`, or the keep-awake helper before its first part is on its way.
# tests/unit/cli/test_imports.py guards this.
if TYPE_CHECKING:
    from desktop.auth.session import AuthSession
    from desktop.engine.config import TransferConfig
    from desktop.engine.instance import EngineLock
    from desktop.engine.queue import UploadQueue
    from desktop.engine.store import QueueStore
    from desktop.keepawake import KeepAwake

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:/s)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_rate(text: str) -> int:
    """``10M`` -> 10 MiB/s in bytes per second; ``500K``, ``1.5m``, ``2MB/s``, ``0`` (unlimited).

    Raises:
        ValueError: Not a rate.
    """
    m = _RATE.match(text)
    if m is None:
        raise ValueError(f"{text!r} is not a rate; use e.g. 10M, 500K or 0 for unlimited")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def run(args: argparse.Namespace) -> int:
    """Run the parsed subcommand."""
    paths, _ = wiring.start_logging(verbose=args.verbose)
    handler = {
        "login": cmd_login,
        "logout": cmd_logout,
        "upload": cmd_upload,
        "resume": cmd_resume,
        "status": cmd_status,
        "receipts": cmd_receipts,
        "cancel": cmd_cancel,
    }[args.command]
    try:
        return handler(args, paths)
    except CliError as exc:
        sys.stderr.write(f"proctor-uploader: {exc}\n")
        return exc.code


# -- signing in -----------------------------------------------------------------------------------


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Password: ")
    else:
        raise CliError(
            "no password: pass it on standard input with --password-stdin, or run in a terminal",
            EXIT_USAGE,
        )
    if not password:
        raise CliError("the password is empty", EXIT_USAGE)
    return password


def _session(config: AppConfig) -> AuthSession:
    from desktop.auth.credentials import KeyringCredentialStore

    return wiring.auth_session(lambda: config, KeyringCredentialStore())


def _no_keyring_reason() -> str | None:
    """Why nothing can be remembered on this computer, or None when the keyring works."""
    from desktop.auth.credentials import KeyringCredentialStore

    usable, reason = KeyringCredentialStore.available()
    return None if usable else reason


def signed_in(config: AppConfig, *, password_stdin: bool) -> AuthSession:
    """A session for the configured account: remembered, or signed in with a password now.

    Call it only while holding the engine lock: a remembered sign-in is used by rotating its
    refresh token, and doing that behind the back of another process that is using the same
    token would end that process's session.

    Raises:
        CliError: Nobody signed in yet, no password available, or the server refused it (exit 3).
    """
    if not config.server_url or not config.username:
        raise CliError(
            "not signed in; run: proctor-uploader login --server URL --username NAME", EXIT_AUTH
        )
    session = _session(config)
    if not password_stdin:
        no_keyring = _no_keyring_reason()
        if no_keyring is None and session.restore(config.server_url, config.username):
            return session
        if not sys.stdin.isatty():
            session.close()
            if no_keyring is not None:
                raise CliError(
                    f"no sign-in can be remembered here: {no_keyring}; "
                    "pass the password with --password-stdin, or run in a terminal to be asked",
                    EXIT_AUTH,
                )
            raise CliError(
                f"the sign-in of {config.username} at {config.server_url} is not remembered on "
                "this computer; run `proctor-uploader login` or pass --password-stdin",
                EXIT_AUTH,
            )
    password = _read_password(password_stdin)
    try:
        session.sign_in(config.server_url, config.username, password, remember=False)
    except AuthError as exc:
        session.close()
        raise CliError(f"sign-in refused: {exc.message}", EXIT_AUTH) from None
    return session


def cmd_login(args: argparse.Namespace, paths: AppPaths) -> int:
    """Sign in, remember the refresh token in the keyring, and save the server and user name.

    Without a usable keyring nothing is sent: there would be nothing to keep the sign-in in. The
    server and user name are saved all the same, so `upload`, `resume` and `cancel` know whom to
    ask the password for, and the command exits 3 (sign-in needed) saying so.
    """
    from desktop.api.urls import validate_server_url

    config = AppConfig.load_layered(paths)
    session = _session(config)
    try:
        no_keyring = _no_keyring_reason()
        if no_keyring is not None:
            try:
                url = validate_server_url(
                    args.server, allow_insecure_http=config.allow_insecure_http
                )
            except UploaderError as exc:
                raise CliError(f"{exc.title}: {exc.message}", EXIT_USAGE) from None
            _save_account(paths, url, args.username)
            raise CliError(
                f"cannot remember the sign-in: {no_keyring}. Nothing was sent. The server and user "
                f"name are saved: `upload`, `resume` and `cancel` ask for the password of "
                f"{args.username} each time (or read it with --password-stdin).",
                EXIT_AUTH,
            )
        password = _read_password(args.password_stdin)
        try:
            session.sign_in(args.server, args.username, password, remember=True)
        except AuthError as exc:
            raise CliError(f"sign-in refused: {exc.message}", EXIT_AUTH) from None
        except UploaderError as exc:
            raise CliError(f"{exc.title}: {exc.message}", EXIT_FAILED) from None
        url = session.server_url or args.server
        _save_account(paths, url, args.username)
        say(f"Signed in to {url} as {args.username} (remembered in the OS keyring).")
        from desktop.cli.receipt_commands import report_server_keys

        report_server_keys(session, paths)
    finally:
        session.close()
    return EXIT_OK


def _save_account(paths: AppPaths, server_url: str, username: str) -> None:
    user_config = AppConfig.load(paths.config_file)
    dataclasses.replace(user_config, server_url=server_url, username=username).save(
        paths.config_file
    )


def _engine_lock(paths: AppPaths) -> EngineLock:
    """The engine lock, held: taken before any credential is touched (see `signed_in`)."""
    from desktop.engine.instance import EngineLock

    lock = EngineLock(paths.data_dir)
    try:
        lock.acquire()
    except UploaderError as exc:
        raise CliError(exc.message, EXIT_FAILED) from None
    return lock


def open_store(paths: AppPaths) -> QueueStore:
    """The queue database; says so on standard error when a damaged one had to be set aside."""
    from desktop.engine.store import QueueStore

    store = QueueStore(paths.state_db)
    if store.quarantined is not None:
        sys.stderr.write(
            "proctor-uploader: warning: the queue database was damaged and could not be read; it "
            f"was set aside as {store.quarantined} and a new one started. "
            f"{store.restored_receipts} receipt(s) were restored; uploads that had not finished "
            "must be started again.\n"
        )
    return store


def cmd_logout(args: argparse.Namespace, paths: AppPaths) -> int:
    """Revoke and forget the remembered sign-in."""
    config = AppConfig.load_layered(paths)
    if not config.server_url or not config.username:
        say("Not signed in.")
        return EXIT_OK
    # The app (or an upload command) may be using this very sign-in: signing it out from here
    # would stop that process's uploads behind its back.
    lock = _engine_lock(paths)
    try:
        session = _session(config)
        session.restore(config.server_url, config.username)
        session.sign_out()
        session.close()
    finally:
        lock.release()
    say(f"Signed out of {config.server_url}.")
    return EXIT_OK


# -- uploading ------------------------------------------------------------------------------------


def collect_files(raw: list[str], *, recursive: bool, any_file: bool) -> list[Path]:
    """The files to upload, in a stable order: recordings first, then (with `any_file`) the rest.

    Folders are walked by the same rule as a folder dropped on the app (`desktop.file_scan`).

    Raises:
        CliError: A path is missing, a folder was given without --recursive, or nothing is left.
    """
    from desktop.file_scan import collect_files as scan

    problems: list[str] = []
    named: list[Path] = []
    for text in raw:
        path = Path(text).expanduser()
        if not path.exists():
            problems.append(f"{text}: no such file or folder")
        elif path.is_dir() and not recursive:
            problems.append(f"{text}: is a folder; add --recursive to upload what it holds")
        elif not path.is_dir() and not path.is_file():
            problems.append(f"{text}: not a regular file")
        else:
            named.append(path)
    if problems:
        raise CliError("; ".join(problems), EXIT_USAGE)
    selection = scan(named, limit=None)
    files = [f.path for f in selection.recordings]
    if any_file:
        files += [f.path for f in selection.others]
    else:
        explicit = {p.absolute() for p in named}
        for other in selection.others:
            if other.path in explicit:
                sys.stderr.write(
                    f"proctor-uploader: warning: {other.path} does not look like a recording; "
                    "skipped (add --any-file to upload it anyway)\n"
                )
    if not files:
        raise CliError("nothing to upload", EXIT_USAGE)
    return files


def _transfer_config(args: argparse.Namespace, config: AppConfig) -> TransferConfig:
    from desktop.engine.config import MAX_FILES, MAX_PARTS

    rate = None
    if args.limit_rate is not None:
        try:
            rate = parse_rate(args.limit_rate)
        except ValueError as exc:
            raise CliError(str(exc), EXIT_USAGE) from None
    if args.concurrency is not None and not 1 <= args.concurrency <= MAX_FILES:
        raise CliError(f"--concurrency must be between 1 and {MAX_FILES}", EXIT_USAGE)
    if args.parts is not None and not 1 <= args.parts <= MAX_PARTS:
        raise CliError(f"--parts must be between 1 and {MAX_PARTS}", EXIT_USAGE)
    return wiring.transfer_config(
        config, files=args.concurrency, parts=args.parts, bandwidth_limit=rate
    )


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_queue(
    args: argparse.Namespace,
    paths: AppPaths,
    files: list[Path] | None,
) -> int:
    config = AppConfig.load_layered(paths)
    exam, kind = "", None
    if files is not None:
        exam = (args.exam or config.last_exam_id).strip()
        # Without --kind each file's name decides (as the app's "Detect from file names" does),
        # never the kind of an earlier run: retention rules are per kind.
        kind = args.kind
        if not exam:
            raise CliError(
                "--exam ID is required (the exam these recordings belong to)", EXIT_USAGE
            )

    from desktop.engine.ledger import read_jobs

    transfer = _transfer_config(args, config)
    # The lock first: a second process must stop before it touches the sign-in (see `signed_in`).
    lock = _engine_lock(paths)
    store: QueueStore | None = None
    session: AuthSession | None = None
    try:
        store = open_store(paths)
        if files is None and all(job.state in TERMINAL for job in read_jobs(store)):
            say("Nothing to resume.")
            return EXIT_OK
        session = signed_in(config, password_stdin=args.password_stdin)
        code = _upload(args, config, transfer, store, session, files, exam, kind, paths)
        if code != EXIT_INTERRUPTED:
            # Once the uploads are done, never before their first byte: pin the server's receipt
            # keys if this is the first sign-in here (no keyring means `login` pinned nothing).
            from desktop.cli.receipt_commands import report_server_keys

            report_server_keys(session, paths, quiet=True)
        return code
    finally:
        if session is not None:
            session.close()
        if store is not None:
            store.close()
        lock.release()


def _upload(
    args: argparse.Namespace,
    config: AppConfig,
    transfer: TransferConfig,
    store: QueueStore,
    session: AuthSession,
    files: list[Path] | None,
    exam: str,
    kind: str | None,
    paths: AppPaths,
) -> int:
    api = session.api()
    if session.access_token() is None:
        # The sign-in did not reach the server (a remembered one is kept while offline): say so
        # in one line now. When it did, the server answered a moment ago; asking again would only
        # delay the first byte.
        try:
            api.health()
        except NetworkError as exc:
            raise CliError(
                f"cannot reach the server at {config.server_url}: {exc.message}", 1
            ) from None
    follow = bool(getattr(args, "follow", False))
    settle = float(config.watch_settle_seconds)
    if getattr(args, "settle", None) is not None:
        if not follow:
            raise CliError("--settle only applies with --follow", EXIT_USAGE)
        if not 0 < args.settle <= 3600:
            raise CliError("--settle must be more than 0 and at most 3600 seconds", EXIT_USAGE)
        settle = args.settle
    display: RichDisplay | PlainDisplay = RichDisplay() if sys.stdout.isatty() else PlainDisplay()
    q = wiring.open_queue(session, paths, transfer, [display], store=store)
    involved: set[str] = set()
    awake: KeepAwake | None = None
    try:
        with display, _sigterm_as_interrupt():
            try:
                q.start()
                q.resume_all()
                # Jobs left unfinished by an earlier run continue too, and count in the result.
                involved.update(j.job_id for j in q.jobs() if j.state not in TERMINAL)
                if files is not None:
                    for f in _new_files(q, files, again=args.again):
                        snap = q.add(
                            f,
                            exam_id=exam,
                            kind=kind_for(f.name, kind),
                            follow=follow,
                            settle=settle,
                        )
                        involved.add(snap.job_id)
                    _remember_exam(paths, exam, kind)
                fixed_rate = args.limit_rate is not None
                while not q.wait_idle(1.0):
                    if awake is None and config.keep_awake:
                        # A laptop that sleeps at the end of an exam stops every upload.
                        # Asked for once uploads have run for a second: it starts a process
                        # or a D-Bus connection, which would otherwise compete with the first
                        # part, and an upload done within a second never needs it.
                        from desktop.keepawake import KeepAwake

                        awake = KeepAwake(reason="Uploading exam recordings")
                        awake.set_active(True)
                    if not fixed_rate:
                        # Follow the settings' schedule (e.g. a lower limit during class hours).
                        q.set_bandwidth_limit(config.effective_bandwidth_kib(datetime.now()) * 1024)
            except KeyboardInterrupt:
                q.shutdown(pause=True)
                sys.stderr.write(
                    "\nPaused safely. Run `proctor-uploader resume` to continue where it stopped.\n"
                )
                return EXIT_INTERRUPTED
        return _summary([j for j in q.jobs() if j.job_id in involved])
    finally:
        q.shutdown(pause=True)
        if awake is not None:
            awake.close()


def _new_files(q: UploadQueue, files: list[Path], *, again: bool) -> list[Path]:
    """The files the engine does not already hold (the app's rule: `UploadQueue.duplicate_of`)."""
    from desktop.engine.ledger import Duplicate

    chosen = []
    for f in files:
        duplicate = q.duplicate_of(f, again=again)
        if duplicate is Duplicate.UPLOADED:
            sys.stderr.write(
                f"proctor-uploader: {f} was already uploaded unchanged; skipped "
                "(add --again to upload it once more)\n"
            )
        elif duplicate is None:
            chosen.append(f)
        # Duplicate.QUEUED: already in the queue, it resumes with the rest.
    return chosen


def _remember_exam(paths: AppPaths, exam: str, kind: str | None) -> None:
    try:
        user = AppConfig.load(paths.config_file)
        kind = kind or user.last_kind  # detected kinds say nothing about the next prompt's default
        if (user.last_exam_id, user.last_kind) != (exam, kind):
            # Unchanged, the file is left alone: rewriting it (and loading the TOML writer) is
            # CPU every upload of the same exam would spend for nothing.
            dataclasses.replace(user, last_exam_id=exam, last_kind=kind).save(paths.config_file)
    except UploaderError:
        pass  # a prefill only; never worth failing an upload for


def _summary(jobs: list[JobSnapshot]) -> int:
    done = [j for j in jobs if j.state is JobState.COMPLETED]
    bad = [j for j in jobs if j.state in (JobState.FAILED, JobState.SOURCE_CHANGED)]
    login = [j for j in jobs if j.state is JobState.NEEDS_LOGIN]
    paused = [j for j in jobs if j.state is JobState.PAUSED]
    say(f"{len(done)} of {len(jobs)} uploaded and verified.")
    for j in bad + paused:
        say(f"  {j.job_id[:8]}  {describe(j)}")
    if login:
        say(
            f"{len(login)} waiting for sign-in: run `proctor-uploader login`, then "
            "`proctor-uploader resume`."
        )
        return EXIT_AUTH
    if bad or paused:
        return EXIT_FAILED
    return EXIT_OK


def cmd_upload(args: argparse.Namespace, paths: AppPaths) -> int:
    """Queue files and upload until everything is done."""
    files = collect_files(args.paths, recursive=args.recursive, any_file=args.any_file)
    return _run_queue(args, paths, files)


def cmd_resume(args: argparse.Namespace, paths: AppPaths) -> int:
    """Continue every unfinished upload."""
    return _run_queue(args, paths, None)


# -- inspecting -----------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace, paths: AppPaths) -> int:
    """Show every job from the state database."""

    from desktop.engine.ledger import read_jobs

    store = open_store(paths)
    try:
        jobs = read_jobs(store)
    finally:
        store.close()
    if not jobs:
        say("The queue is empty.")
        return EXIT_OK
    for job in jobs:
        if job.size:
            pct = 100.0 * job.bytes_done / job.size
        else:
            pct = 100.0 * (job.bytes_done == job.size)
        say(
            f"{job.job_id[:12]}  {job.state.value:<15} {pct:5.1f}% of "
            f"{format_size(job.size):>10}  {describe(job)}"
        )
    return EXIT_OK


def cmd_receipts(args: argparse.Namespace, paths: AppPaths) -> int:
    """List receipts, export them as CSV or JSON, or verify an export or show trusted keys."""
    if getattr(args, "receipts_cmd", None):
        from desktop.cli import receipt_commands

        action = (
            receipt_commands.cmd_verify
            if args.receipts_cmd == "verify"
            else receipt_commands.cmd_keys
        )
        return action(args, paths)
    from desktop.engine import receipts as receipt_export

    store = open_store(paths)
    try:
        items = store.receipts()
    finally:
        store.close()
    if args.csv or args.json:
        fmt = "csv" if args.csv else "json"
        target = receipt_export.export(items, Path(args.csv or args.json), fmt=fmt)
        say(f"Wrote {len(items)} receipts to {target}.")
        return EXIT_OK
    if not items:
        say("No receipts yet.")
        return EXIT_OK
    for r in items:
        say(
            f"{r.completed_at}  {r.exam_id}  {format_size(r.size):>10}  {r.key}  "
            f"sha256={r.sha256}  etag={r.etag}  {'signed' if r.signed else 'unsigned'}"
        )
    return EXIT_OK


def cmd_cancel(args: argparse.Namespace, paths: AppPaths) -> int:
    """Cancel one job and abort its upload on the server."""
    from desktop.engine.ledger import read_jobs

    config = AppConfig.load_layered(paths)
    store = open_store(paths)
    try:
        matches = [j for j in read_jobs(store) if j.job_id.startswith(args.job_id.lower())]
        if not matches:
            raise CliError(
                f"no job with id {args.job_id} (see proctor-uploader status)", EXIT_USAGE
            )
        if len(matches) > 1:
            raise CliError(f"{args.job_id} matches several jobs; give more characters", EXIT_USAGE)
        job = matches[0]
        # A failed or changed job may still hold an upload (kept for a retry; its storage key
        # goes with it): cancelling it discards that upload and its stored parts, and the job
        # stays as it ended.
        leftover = job.state in RETRYABLE_TERMINAL and job.key is not None
        if job.state in TERMINAL and not leftover:
            say(f"{job.job_id[:12]} is already {job.state.value}; nothing to cancel.")
            return EXIT_OK
        lock = _engine_lock(paths)
        try:
            session = signed_in(config, password_stdin=args.password_stdin)
            try:
                q = wiring.open_queue(session, paths, wiring.transfer_config(config), store=store)
                q.load()
                q.cancel(job.job_id)
            finally:
                session.close()
        finally:
            lock.release()
    finally:
        store.close()
    if leftover:
        say(
            f"Discarded the stored parts of {job.job_id[:12]} ({Path(job.path).name}, "
            f"{job.state.value})."
        )
    else:
        say(
            f"Cancelled {job.job_id[:12]} ({Path(job.path).name}); its stored parts were discarded."
        )
    return EXIT_OK


__all__ = ["EXIT_INTERRUPTED", "CliError", "parse_rate", "run"]
