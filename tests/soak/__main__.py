"""``python -m tests.soak --files N --max-size SIZE --seed S``: the chaos soak (exit 1 on loss)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.soak.chaos import Intensity
from tests.soak.files import parse_size
from tests.soak.soak import SoakConfig, run_soak


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the soak, return 0 only if nothing was lost."""
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument("--files", type=int, default=200, help="number of recordings")
    parser.add_argument("--max-size", type=parse_size, default="2G", help="largest, e.g. 2G")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs of the CLI (>= 2)")
    parser.add_argument("--budget", type=parse_size, help="total size of all files, e.g. 6G")
    parser.add_argument("--part-size", type=parse_size, default="5M")
    parser.add_argument("--url-ttl", type=int, default=5, help="presigned URL lifetime, s")
    parser.add_argument("--token-ttl", type=int, default=5, help="access token lifetime, s")
    parser.add_argument("--limit-rate", help="the CLI's bandwidth limit, e.g. 20M")
    parser.add_argument(
        "--reset-share",
        type=float,
        default=Intensity().reset,
        help="share of part PUTs cut mid-body",
    )
    parser.add_argument("--workdir", type=Path, help="keep everything here")
    parser.add_argument("--keep", action="store_true", help="keep the work dir even on success")
    parser.add_argument("--deadline", type=float, default=3 * 3600, help="seconds allowed")
    args = parser.parse_args(argv)
    config = SoakConfig(
        files=args.files,
        max_size=args.max_size,
        seed=args.seed,
        kills=args.kills,
        budget=args.budget,
        part_size=args.part_size,
        url_ttl=args.url_ttl,
        token_ttl=args.token_ttl,
        rate_limit=args.limit_rate,
        intensity=Intensity(reset=args.reset_share),
        workdir=args.workdir,
        keep=args.keep,
        deadline=args.deadline,
    )
    return 0 if run_soak(config).ok else 1


if __name__ == "__main__":
    sys.exit(main())
