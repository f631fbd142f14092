"""The checksums storage verifies: which algorithm an upload uses, their encoding, and how part
checksums combine into the whole object's.

With a CRC (the default, CRC64NVME), every part URL is signed with the part's checksum, so storage
refuses any byte that differs from what the client hashed, and the whole object's CRC, which
storage reports, is predicted from the parts' CRCs alone. MD5 is the fallback for stores without
S3's flexible checksums: the part's ``Content-MD5`` is signed instead, and the multipart ETag is
the object-level proof.
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal, get_args

from awscrt import checksums as crt

#: The per-deployment choice (``--integrity``), lower case as typed.
Integrity = Literal["crc64nvme", "crc32c", "md5"]
INTEGRITY_CHOICES: tuple[str, ...] = get_args(Integrity)

#: How the API names an algorithm (S3's spelling).
Algorithm = Literal["CRC64NVME", "CRC32C", "MD5"]

_DIGEST_BYTES: dict[str, int] = {"CRC64NVME": 8, "CRC32C": 4, "MD5": 16}
#: The legacy scheme: uploads created before the backend recorded an algorithm used MD5.
LEGACY: Algorithm = "MD5"


def algorithm_for(integrity: str) -> Algorithm:
    """The API name of a deployment's ``--integrity`` choice."""
    name = integrity.upper()
    if name not in _DIGEST_BYTES:
        raise ValueError(f"integrity must be one of {', '.join(INTEGRITY_CHOICES)}")
    return name  # type: ignore[return-value]


#: The algorithms storage combines into a full-object checksum.
CRC_ALGORITHMS: tuple[Algorithm, ...] = ("CRC64NVME", "CRC32C")


def is_crc(algorithm: str) -> bool:
    """True for the algorithms storage combines into a full-object checksum."""
    return algorithm in CRC_ALGORITHMS


def decode(algorithm: str, value: str) -> bytes:
    """The digest bytes of a base64 checksum.

    Raises:
        ValueError: `value` is not base64 of the algorithm's digest length.
    """
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{value!r} is not base64") from None
    if len(raw) != _DIGEST_BYTES[algorithm]:
        raise ValueError(
            f"a base64 {algorithm} checksum has {_DIGEST_BYTES[algorithm]} bytes, not {len(raw)}"
        )
    return raw


def header(algorithm: str) -> str:
    """The request header that carries a part's checksum to storage."""
    return "Content-MD5" if algorithm == "MD5" else f"x-amz-checksum-{algorithm.lower()}"


def combine(algorithm: str, parts: list[tuple[str, int]]) -> str:
    """The whole object's base64 CRC from ``(base64 part CRC, part size)`` in part order."""
    size = _DIGEST_BYTES[algorithm]
    join = crt.combine_crc64nvme if algorithm == "CRC64NVME" else crt.combine_crc32c
    total = 0
    for index, (value, length) in enumerate(parts):
        crc = int.from_bytes(decode(algorithm, value), "big")
        total = crc if index == 0 else join(total, crc, length)
    return base64.b64encode(total.to_bytes(size, "big")).decode()


class Running:
    """A CRC of bytes read in chunks (e.g. an object read back from storage), base64 at the end."""

    def __init__(self, algorithm: str) -> None:
        """Start a `CRC64NVME` or `CRC32C`."""
        self._algorithm = algorithm
        self._fn = crt.crc64nvme if algorithm == "CRC64NVME" else crt.crc32c
        self._crc = 0

    def update(self, data: bytes) -> None:
        """Add the next bytes."""
        self._crc = self._fn(data, self._crc)

    def value(self) -> str:
        """The base64 CRC of everything added."""
        return base64.b64encode(self._crc.to_bytes(_DIGEST_BYTES[self._algorithm], "big")).decode()
