"""`python -m desktop` and the `proctor-uploader` console script."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run a CLI subcommand, or open the desktop app when none is given."""
    from desktop.cli.main import main as cli_main

    return cli_main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
