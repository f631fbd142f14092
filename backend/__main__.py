"""`python -m backend` runs the `proctor-backend` CLI."""

from __future__ import annotations

import sys

from backend.cli import main

if __name__ == "__main__":
    sys.exit(main())
