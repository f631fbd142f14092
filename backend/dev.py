"""`proctor-backend dev`: the API, an in-process S3 emulator (moto) and a demo user on 127.0.0.1."""
# ruff: noqa: T201  (a CLI talks to its user through stdout/stderr)

from __future__ import annotations

import json
import logging
import sys
import tempfile
from pathlib import Path

import boto3

from backend.app import create_app
from backend.server import bind_socket, make_server, when_started
from backend.settings import Settings
from backend.storage import S3Storage
from backend.users import ensure_user

logger = logging.getLogger(__name__)

DEMO_USERNAME = "demo"
DEMO_PASSWORD = (
    "demo-password"  # documented in docs/api.md and README: this is a local emulator only
)
DEV_BUCKET = "proctor-dev"
READY_PREFIX = "PROCTOR_BACKEND_READY "
# moto accepts any credentials; these never leave this process.
_DEV_ACCESS_KEY = "proctor-dev"
_DEV_SECRET_KEY = "proctor-dev-secret"


def run_dev(*, host: str, port: int, data_dir: Path | None, settings: Settings) -> int:
    """Serve until SIGINT/SIGTERM; print one `PROCTOR_BACKEND_READY {...}` line once serving."""
    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    tmp: tempfile.TemporaryDirectory[str] | None = None
    try:
        s3_port = moto.get_host_and_port()[1]
        endpoint = f"http://127.0.0.1:{s3_port}"
        if data_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="proctor-backend-dev-")
            data_dir = Path(tmp.name)
        settings = settings.replace(
            host=host,
            port=port,
            bucket=DEV_BUCKET,
            region="us-east-1",
            s3_endpoint_url=endpoint,
            s3_public_endpoint_url="",
            s3_addressing_style="path",
            data_dir=data_dir,
            db="",
        )
        session = boto3.Session(
            aws_access_key_id=_DEV_ACCESS_KEY,
            aws_secret_access_key=_DEV_SECRET_KEY,
            region_name=settings.region,
        )
        session.client("s3", endpoint_url=endpoint).create_bucket(Bucket=DEV_BUCKET)
        app = create_app(settings, S3Storage(settings, session=session))
        ensure_user(app.state.services.db, DEMO_USERNAME, DEMO_PASSWORD, "user")

        sock = bind_socket(host, port)
        real_port = sock.getsockname()[1]
        url_host = f"[{host}]" if ":" in host else host
        url = f"http://{url_host}:{real_port}"
        server = make_server(app, log_level=settings.log_level)

        def announce() -> None:
            print(f"Proctor backend (dev) serving {url}/api/v1  (API docs: {url}/docs)")
            print(f"S3 emulator (moto): {endpoint}  bucket: {DEV_BUCKET}")
            print(f"Demo sign-in: username {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r}")
            print(f"Data directory: {data_dir}{'  (temporary)' if tmp else ''}")
            print("Press Ctrl+C to stop.")
            ready = {
                "url": url,
                "username": DEMO_USERNAME,
                "password": DEMO_PASSWORD,
                "s3_endpoint_url": endpoint,
                "bucket": DEV_BUCKET,
            }
            print(READY_PREFIX + json.dumps(ready), flush=True)

        when_started(server, announce)
        server.run(sockets=[sock])
        sock.close()
    finally:
        moto.stop()
        if tmp is not None:
            tmp.cleanup()
        sys.stdout.flush()
    return 0
