"""How a command ends: its exit code, its result lines on standard output, its one-line errors."""

from __future__ import annotations

import sys
from typing import Final

#: Everything uploaded, or the command succeeded.
EXIT_OK: Final = 0
#: Something failed (the line on standard error says what).
EXIT_FAILED: Final = 1
#: The command line was wrong.
EXIT_USAGE: Final = 2
#: Sign-in needed or refused.
EXIT_AUTH: Final = 3
#: Interrupted (Ctrl-C or SIGTERM): the queue was paused safely.
EXIT_INTERRUPTED: Final = 130


def say(text: str) -> None:
    """Write one line to standard output (the command's result, for people and scripts)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class CliError(Exception):
    """A one-line message and the exit code that goes with it."""

    def __init__(self, message: str, code: int) -> None:
        """Create the error."""
        super().__init__(message)
        self.code = code
