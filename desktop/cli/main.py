"""``proctor-uploader COMMAND``: the headless uploader's argument parser and dispatch.

Exit codes (`desktop.cli.outcome`): 0 everything uploaded (or the command succeeded), 1 something
failed, 2 usage error, 3 authentication needed or refused, 130 interrupted (Ctrl-C: the queue was
paused safely). The bare command, ``demo`` and ``--self-test`` are the desktop app's: the entry
point (`desktop.__main__`) sends them there, so nothing here can load Qt.
"""

from __future__ import annotations

import argparse
import sys

from desktop import __version__
from desktop.cli.outcome import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE
from desktop.errors import UploaderError
from desktop.recordings import KINDS, SETTLE_SECONDS


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
        help="with --follow: a recording that has not changed this long has ended, even if its "
        f"recorder never closed it (default: the settle time in the settings, {SETTLE_SECONDS} s)",
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


def main(argv: list[str]) -> int:
    """Run a CLI subcommand and return the exit code."""
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
