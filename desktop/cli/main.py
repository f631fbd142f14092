"""``proctor-uploader``: the app when run bare, the headless uploader with a subcommand.

Exit codes: 0 everything uploaded (or the command succeeded), 1 something failed, 2 usage error,
3 authentication needed or refused, 130 interrupted (Ctrl-C: the queue was paused safely).
The desktop app is imported lazily, only for the paths that need it, so the CLI never loads Qt.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

from desktop import __version__
from desktop.errors import UploaderError
from desktop.recordings import KINDS

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) instead of the full usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print one line naming the problem and how to get help, then exit 2."""
        sys.stderr.write(f"{self.prog}: {message} (see {self.prog} --help)\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(
        prog="proctor-uploader",
        description="Upload exam recordings to your organisation's storage, resumably.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log details to standard error too"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("login", help="sign in and remember the sign-in in the OS keyring")
    p.add_argument("--server", required=True, help="the server address, e.g. https://uploads.edu")
    p.add_argument("--username", required=True)
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )

    sub.add_parser("logout", help="sign out and forget the remembered sign-in")

    p = sub.add_parser("upload", help="upload files (runs until done; Ctrl-C pauses safely)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--exam", metavar="ID", help="the exam the recordings belong to")
    p.add_argument(
        "--kind",
        choices=KINDS,
        help="what was recorded, for every file (default: from each file name, else other)",
    )
    p.add_argument("--recursive", "-r", action="store_true", help="upload folders' contents")
    p.add_argument("--concurrency", type=int, metavar="N", help="files uploading at once")
    p.add_argument("--parts", type=int, metavar="N", help="parts in flight at once (all files)")
    p.add_argument("--limit-rate", metavar="RATE", help="bandwidth limit, e.g. 10M or 500K per s")
    p.add_argument("--any-file", action="store_true", help="also upload files that are not videos")
    p.add_argument(
        "--again", action="store_true", help="upload files even if already uploaded unchanged"
    )
    p.add_argument(
        "--follow",
        action="store_true",
        help="the files are still being recorded: send them as they grow, finish when each ends",
    )
    p.add_argument(
        "--settle",
        type=float,
        metavar="SECONDS",
        help="with --follow: a recording that has not changed this long has ended, even if "
        "its recorder never closed it (default: the settle time in the settings, 10 s)",
    )
    _password_option(p)

    p = sub.add_parser("resume", help="continue every unfinished upload")
    p.add_argument("--concurrency", type=int, metavar="N", help="files uploading at once")
    p.add_argument("--parts", type=int, metavar="N", help="parts in flight at once (all files)")
    p.add_argument("--limit-rate", metavar="RATE", help="bandwidth limit, e.g. 10M or 500K per s")
    _password_option(p)

    sub.add_parser("status", help="show the queue (no network needed)")

    p = sub.add_parser("receipts", help="list, export or verify the receipts of completed uploads")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--csv", metavar="FILE", help="write the receipts as CSV")
    group.add_argument(
        "--json", metavar="FILE", help="write the receipts as JSON (with the signed receipts)"
    )
    receipts_sub = p.add_subparsers(dest="receipts_cmd", metavar="ACTION", parser_class=_Parser)
    verify = receipts_sub.add_parser(
        "verify", help="check every receipt of a --json export offline against trusted keys"
    )
    verify.add_argument("export", metavar="FILE", help="a file written by `receipts --json`")
    verify.add_argument(
        "--keys",
        metavar="JWKS",
        help="the organisation's key set (default: the keys pinned at your first sign-in)",
    )
    verify.add_argument(
        "--file",
        dest="recording",
        action="append",
        metavar="PATH",
        help="a local recording to hash again and compare with its receipt (repeatable)",
    )
    keys = receipts_sub.add_parser(
        "keys", help="show the server keys trusted for receipts (pinned at first sign-in)"
    )
    keys.add_argument(
        "--accept",
        action="store_true",
        help="trust the keys the server publishes now (only after your exam office confirms)",
    )

    p = sub.add_parser("cancel", help="cancel an upload and discard its stored parts")
    p.add_argument("job_id", metavar="ID", help="the job id (or a unique prefix) from `status`")
    _password_option(p)

    p = sub.add_parser(
        "demo",
        help="try the app on this computer: a local test server and storage, a demo account",
        description="Start a local backend and S3 emulator on 127.0.0.1 (in a temporary folder, "
        "removed at exit), then open the app signed in as the demo user. Without a display, or "
        "with --headless, upload two sample recordings in this terminal instead.",
    )
    p.add_argument(
        "--headless",
        action="store_true",
        help="upload sample recordings in this terminal instead of opening the window",
    )
    return parser


def _password_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="sign in with a password read from standard input (when no sign-in is remembered)",
    )


def _app_hook(name: str) -> Callable[[list[str]], int] | None:
    """``desktop.app.<name>``, or None (with a message) when the desktop app is not available."""
    try:
        module = importlib.import_module("desktop.app")
    except ImportError as exc:
        if exc.name not in ("desktop.app", "PySide6"):
            raise
        sys.stderr.write(
            "proctor-uploader: the desktop app is not available in this installation; "
            "use a subcommand (see proctor-uploader --help).\n"
        )
        return None
    hook = getattr(module, name, None)
    if hook is None:
        sys.stderr.write(f"proctor-uploader: this version of the desktop app has no {name}.\n")
        return None
    return hook  # type: ignore[no-any-return]


def main(argv: list[str]) -> int:
    """Run the CLI (or the app) and return the exit code."""
    if not argv:
        hook = _app_hook("run_gui")
        return EXIT_FAILED if hook is None else hook(argv)
    if argv[0] == "demo":
        # Parsed here for --help and mistakes; the app itself reads the rest, Qt's options too.
        build_parser().parse_known_args(argv)
        hook = _app_hook("run_demo")
        return EXIT_FAILED if hook is None else hook(argv[1:])
    if argv[0] == "--self-test":
        from desktop.selftest import main as self_test

        return self_test(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help()
        return EXIT_USAGE
    from desktop.cli import commands

    try:
        return commands.run(args)
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted.\n")
        return EXIT_INTERRUPTED
    except UploaderError as exc:
        sys.stderr.write(f"proctor-uploader: {exc.title}: {exc.message}\n")
        return EXIT_FAILED
