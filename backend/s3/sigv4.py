"""AWS Signature Version 4 for S3, by hand: signed request headers and presigned query strings.

botocore's signer runs inside its generic request pipeline (event hooks, endpoint rules,
User-Agent built twice per call), which cost about 1 ms of CPU per storage call. The signature
itself is a few HMAC-SHA256 of short strings; this module computes exactly that and nothing else.
The derived signing key changes once a day per credential, so it is cached.

Reference: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True, slots=True)
class Credentials:
    """One frozen set of AWS credentials.

    Attributes:
        access_key: Access key id.
        secret_key: Secret access key (never logged).
        token: Session token of temporary credentials, or None.
    """

    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)


# Most values (parameter names, dates, hex ids) need no encoding; `quote` costs ~3 us a call and a
# presigned URL has about thirty, so plain values skip it.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch
_UNRESERVED_PATH = re.compile(r"[A-Za-z0-9_.~/-]*").fullmatch


def uri_encode(value: str, *, keep_slash: bool = False) -> str:
    """Percent-encode all but the unreserved characters (and `/` in a path), as SigV4 does."""
    if keep_slash:
        return value if _UNRESERVED_PATH(value) else quote(value, safe="-_.~/")
    return value if _UNRESERVED(value) else quote(value, safe="-_.~")


def encode_pairs(params: Mapping[str, str]) -> list[tuple[str, str]]:
    """`(name, value)` pairs of `params`, both encoded, in their order."""
    return [(uri_encode(k), uri_encode(v)) for k, v in params.items()]


def canonical_query(pairs: list[tuple[str, str]]) -> str:
    """`k=v&...` sorted by encoded name: the order SigV4 signs (any order reaches S3)."""
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def signed_names(headers: Mapping[str, str]) -> str:
    """`a;b;c`: the signed headers' (lowercase) names, sorted."""
    return ";".join(sorted(headers))


def canonical_request(
    method: str,
    path: str,
    pairs: list[tuple[str, str]],
    headers: Mapping[str, str],
    signed: str,
    payload_sha256: str,
) -> str:
    """The canonical request SigV4 hashes: one form for signed headers and presigned URLs."""
    canonical_headers = "".join(f"{n}:{' '.join(headers[n].split())}\n" for n in sorted(headers))
    return "\n".join(
        (
            method,
            uri_encode(path, keep_slash=True),
            canonical_query(pairs),
            canonical_headers,
            signed,
            payload_sha256,
        )
    )


class Signer:
    """Signs S3 requests for one region; safe to share between threads.

    Attributes:
        region: Signing region.
    """

    def __init__(self, region: str) -> None:
        """Sign for `region` (service `s3`)."""
        self.region = region
        self._lock = threading.Lock()
        # (secret, day) -> derived key; one entry per credential in use, replaced daily.
        self._keys: dict[tuple[str, str], bytes] = {}

    def _signing_key(self, secret: str, day: str) -> bytes:
        cached = self._keys.get((secret, day))
        if cached is not None:
            return cached
        key = _hmac(("AWS4" + secret).encode(), day)
        for part in (self.region, "s3", "aws4_request"):
            key = _hmac(key, part)
        with self._lock:
            if len(self._keys) > 8:  # yesterday's keys and rotated credentials
                self._keys.clear()
            self._keys[(secret, day)] = key
        return key

    def _signature(self, creds: Credentials, amz_date: str, canonical_request: str) -> str:
        day = amz_date[:8]
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(
            (ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest())
        )
        key = self._signing_key(creds.secret_key, day)
        return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()

    def scope(self, creds: Credentials, amz_date: str) -> str:
        """`AKID/day/region/s3/aws4_request`: the credential a signature names."""
        return f"{creds.access_key}/{amz_date[:8]}/{self.region}/s3/aws4_request"

    def sign_headers(
        self,
        creds: Credentials,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: dict[str, str],
        payload_sha256: str,
        amz_date: str,
    ) -> None:
        """Add `Authorization` (and the `x-amz-*` headers it covers) to `headers`, in place.

        `headers` must already hold `host` and every other header to sign, lowercase names.
        """
        headers["x-amz-date"] = amz_date
        headers["x-amz-content-sha256"] = payload_sha256
        if creds.token:
            headers["x-amz-security-token"] = creds.token
        signed = signed_names(headers)
        request = canonical_request(
            method, path, encode_pairs(query), headers, signed, payload_sha256
        )
        signature = self._signature(creds, amz_date, request)
        headers["authorization"] = (
            f"{ALGORITHM} Credential={self.scope(creds, amz_date)}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )

    def presign(
        self,
        creds: Credentials,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        expires_in: int,
        amz_date: str,
    ) -> str:
        """The query string of a presigned URL (operation parameters and signature).

        `headers` (lowercase names, `host` included) are signed: a request using the URL must send
        each of them with exactly this value. The payload is unsigned, as S3 expects of URLs.
        """
        signed = signed_names(headers)
        # botocore's order in the URL (the signature covers the sorted form): the operation's
        # parameters, then the signing ones; URLs stay byte-identical to the ones it made.
        params = dict(query)
        params["X-Amz-Algorithm"] = ALGORITHM
        params["X-Amz-Credential"] = self.scope(creds, amz_date)
        params["X-Amz-Date"] = amz_date
        params["X-Amz-SignedHeaders"] = signed
        params["X-Amz-Expires"] = str(expires_in)
        if creds.token:
            params["X-Amz-Security-Token"] = creds.token
        pairs = encode_pairs(params)
        request = canonical_request(method, path, pairs, headers, signed, UNSIGNED_PAYLOAD)
        signature = self._signature(creds, amz_date, request)
        in_order = "&".join(f"{k}={v}" for k, v in pairs)
        return f"{in_order}&X-Amz-Signature={signature}"


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()
