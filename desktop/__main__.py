"""`python -m desktop` and the `proctor-uploader` console script.

The one place that chooses between the desktop app and the headless CLI: the bare command,
``demo`` and ``--self-test`` belong to the app (the composition root, `desktop.app`, which may load
Qt); every subcommand goes to `desktop.cli`, which never does. Both imports are plain imports inside
the function that needs them, so a CLI run never pays for the app and the import contracts see
both edges.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from desktop.selftest import GuiChecks

_NO_APP = (
    "proctor-uploader: the desktop app is not available in this installation; "
    "use a subcommand (see proctor-uploader --help).\n"
)


def main(argv: list[str] | None = None) -> int:
    """Run a CLI subcommand, or open the desktop app when none is given."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "demo":
        from desktop.cli.main import build_parser

        # Parsed first, so --help and mistakes answer without starting anything; the app itself
        # reads the rest, Qt's options too.
        build_parser().parse_known_args(args)
    if not args or args[0] == "demo":
        try:
            import desktop.app as app
        except ImportError as exc:
            if exc.name not in ("desktop.app", "PySide6"):
                raise
            sys.stderr.write(_NO_APP)
            return 1
        return app.run_gui(args) if not args else app.run_demo(args[1:])
    if args[0] == "--self-test":
        from desktop import selftest

        return selftest.main(args[1:], gui_checks=_gui_checks)
    from desktop.cli.main import main as cli_main

    return cli_main(args)


def _gui_checks() -> GuiChecks:
    """The self-test's Qt half; importing it is the first check, so it is loaded only here."""
    from desktop.ui.self_test_gui import run_gui_checks

    return run_gui_checks


def _exit_now(code: int) -> NoReturn:
    """End a finished CLI command without the interpreter's teardown.

    Tearing down the ~500 modules an upload loaded (garbage collection of everything, every
    module's finalisers) costs ~50 ms of CPU after the last byte and the receipt, which the
    command's result no longer depends on: its state is committed to SQLite as it goes, and its
    log and output are flushed here. Used only when nothing but daemon threads is left, which the
    commands guarantee by shutting their queue down; otherwise the normal exit waits for them.
    """
    if any(
        t.is_alive() and not t.daemon and t is not threading.main_thread()
        for t in threading.enumerate()
    ):
        sys.exit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)


def console() -> NoReturn:
    """The `proctor-uploader` console script and `python -m desktop`: run, then exit.

    One ending for both, so what the benchmarks time (`python -m desktop`) is what users run.
    A CLI subcommand ends without the interpreter's teardown; the app and the demo end the
    normal way, since Qt's objects must be destroyed in order.
    """
    args = sys.argv[1:]
    code = main(args)
    if args and args[0] not in ("demo", "--self-test"):
        _exit_now(code)
    sys.exit(code)


if __name__ == "__main__":
    console()
