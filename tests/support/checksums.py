"""Checksums as a plain S3 client computes them, for tests that talk to the backend by hand."""

from __future__ import annotations

import base64

from awscrt import checksums as crt


def crc64nvme(data: bytes) -> str:
    """Base64 CRC64NVME of `data` (what sign-parts and complete take per part)."""
    return base64.b64encode(crt.crc64nvme(data).to_bytes(8, "big")).decode()


def crc32c(data: bytes) -> str:
    """Base64 CRC32C of `data`."""
    return base64.b64encode(crt.crc32c(data).to_bytes(4, "big")).decode()
