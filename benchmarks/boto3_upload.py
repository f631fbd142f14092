"""The boto3 peer: `upload_file` through s3transfer with a tuned TransferConfig, as its own process.

Run by the harness as `python -m benchmarks.boto3_upload ...`; credentials come from the
environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`). botocore's default integrity (a CRC32
checksum of every part) stays on, as it is for anyone using boto3 today.
"""

from __future__ import annotations

import argparse
import sys

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

MIB = 1024 * 1024


def main(argv: list[str] | None = None) -> int:
    """Upload one file; exit 0 on success."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.boto3_upload")
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--part-mib", type=int, default=8)
    args = parser.parse_args(argv)
    client = boto3.client(
        "s3",
        endpoint_url=args.endpoint,
        config=Config(
            s3={"addressing_style": "path"},
            # One pooled connection per worker thread, or threads queue for connections.
            max_pool_connections=args.concurrency,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )
    config = TransferConfig(
        multipart_threshold=8 * MIB,
        multipart_chunksize=args.part_mib * MIB,
        max_concurrency=args.concurrency,
        # Larger reads than the 256 KiB default: fewer Python-level iterations per part.
        io_chunksize=1 * MIB,
        use_threads=True,
    )
    client.upload_file(args.file, args.bucket, args.key, Config=config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
