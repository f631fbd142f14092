"""`proctor-backend`: admin commands in-process, `serve` as a real subprocess (restart, signals)."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest
import requests

from backend.cli import main
from tests.backend.helpers import error_code
from tests.support.backend_server import BackendProcess
from tests.support.checksums import crc64nvme
from tests.support.storage import S3Endpoint, make_bucket, s3_client

PASSWORD = "a long enough password"


def _run(
    args: list[str], capsys: pytest.CaptureFixture[str], stdin: str | None = None
) -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdin", io.StringIO(stdin or ""))
        code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_user_admin_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--data-dir", str(tmp_path)]
    code, out, _ = _run(["user", "add", "Alice", "--password-stdin", *db], capsys, PASSWORD + "\n")
    assert code == 0
    assert "Added user 'alice'" in out
    code, _, err = _run(["user", "add", "alice", "--password-stdin", *db], capsys, PASSWORD)
    assert code == 1
    assert "already exists" in err
    code, _, err = _run(["user", "add", "bob", "--password-stdin", *db], capsys, "short\n")
    assert code == 1
    assert "at least 8 characters" in err
    code, _, err = _run(["user", "add", "../bob", "--password-stdin", *db], capsys, PASSWORD)
    assert code == 1
    assert "username must be" in err
    code, out, _ = _run(
        ["user", "add", "root", "--role", "admin", "--password-stdin", *db], capsys, PASSWORD
    )
    assert code == 0
    code, out, _ = _run(["user", "disable", "alice", *db], capsys)
    assert code == 0
    code, out, _ = _run(["user", "list", *db], capsys)
    assert out.splitlines() == ["alice\tuser\tdisabled", "root\tadmin\tenabled"]
    code, _, err = _run(["user", "passwd", "nobody", "--password-stdin", *db], capsys, PASSWORD)
    assert code == 1
    assert "no user 'nobody'" in err
    assert PASSWORD not in out + err


def test_password_is_never_taken_from_a_non_tty_without_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit, match="--password-stdin"):
        _run(["user", "add", "carol", "--data-dir", str(tmp_path)], capsys, PASSWORD)


def test_bad_settings_exit_2_with_the_variable_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROCTOR_BACKEND_URL_TTL_SECONDS", "soon")
    code, _, err = _run(["user", "list", "--data-dir", str(tmp_path)], capsys)
    assert code == 2
    assert "PROCTOR_BACKEND_URL_TTL_SECONDS must be an integer" in err
    monkeypatch.setenv("PROCTOR_BACKEND_URL_TTL_SECONDS", "0")
    code, _, err = _run(["user", "list", "--data-dir", str(tmp_path)], capsys)
    assert code == 2
    assert "must be positive" in err


@pytest.mark.integration
def test_lifecycle_rules_per_kind(
    moto_endpoint: S3Endpoint,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in moto_endpoint.env().items():
        monkeypatch.setenv(name, value)
    bucket = make_bucket(moto_endpoint)
    storage = ["--bucket", bucket, "--s3-endpoint-url", moto_endpoint.endpoint_url]
    # A rule someone else made stays.
    s3_client(moto_endpoint).put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "theirs",
                    "Filter": {"Prefix": "tmp/"},
                    "Status": "Enabled",
                    "Expiration": {"Days": 1},
                }
            ]
        },
    )
    code, out, _ = _run(
        ["lifecycle", "apply", "--expire-days", "30", "--abort-incomplete-days", "3", *storage],
        capsys,
    )
    assert code == 0, out
    code, out, _ = _run(
        ["lifecycle", "apply", "--kind", "screen", "--expire-days", "7", *storage], capsys
    )
    assert code == 0
    code, out, _ = _run(["lifecycle", "show", *storage], capsys)
    rules = {r["ID"]: r for r in json.loads(out)}
    assert set(rules) == {"theirs", "proctor-webcam", "proctor-screen", "proctor-other"}
    assert rules["proctor-webcam"]["Filter"] == {"Prefix": "recordings/webcam/"}
    assert rules["proctor-webcam"]["Expiration"] == {"Days": 30}
    assert rules["proctor-webcam"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 3}
    assert rules["proctor-screen"]["Expiration"] == {"Days": 7}
    assert "AbortIncompleteMultipartUpload" not in rules["proctor-screen"]

    code, _, err = _run(["lifecycle", "apply", *storage], capsys)
    assert code == 2
    assert "give --expire-days" in err
    code, _, err = _run(["lifecycle", "apply", "--expire-days", "0", *storage], capsys)
    assert code == 2
    assert "at least 1" in err
    missing = ["--bucket", "no-such-bucket-here", "--s3-endpoint-url", moto_endpoint.endpoint_url]
    code, _, err = _run(["lifecycle", "show", *missing], capsys)
    assert code == 1
    assert "bucket does not exist" in err


@pytest.mark.integration
@pytest.mark.slow
def test_serve_subprocess_restarts_on_the_same_port_keeping_users_tokens_and_uploads(
    moto_endpoint: S3Endpoint, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = make_bucket(moto_endpoint)
    proc = BackendProcess(moto_endpoint, bucket=bucket, data_dir=tmp_path / "srv", jwt_secret="")
    proc.add_user("alice", PASSWORD)
    with proc:
        tokens = requests.post(
            proc.api + "/auth/login", json={"username": "alice", "password": PASSWORD}, timeout=30
        ).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        created = requests.post(
            proc.api + "/uploads",
            json={"filename": "a.webm", "size": 2, "metadata": {"exam_id": "E", "kind": "webcam"}},
            headers=auth,
            timeout=30,
        ).json()
        part = requests.post(
            proc.api + f"/uploads/{created['upload_id']}/parts",
            json={"part_numbers": [1], "checksums": {"1": crc64nvme(b"hi")}},
            headers=auth,
            timeout=30,
        ).json()["parts"][0]
        etag = requests.put(part["url"], data=b"hi", headers=part["headers"], timeout=30).headers[
            "ETag"
        ]

        proc.restart()
        assert proc.returncode is None
        # Same port, same secret file, same database: the old access token still works.
        receipt = requests.post(
            proc.api + f"/uploads/{created['upload_id']}/complete",
            json={"parts": [{"part_number": 1, "etag": etag, "checksum": crc64nvme(b"hi")}]},
            headers=auth,
            timeout=30,
        )
        assert receipt.status_code == 200, receipt.text
        refreshed = requests.post(
            proc.api + "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, timeout=30
        )
        assert refreshed.status_code == 200

        # An admin command against the live database takes effect at once.
        code, _, _ = _run(["user", "disable", "alice", "--data-dir", str(tmp_path / "srv")], capsys)
        assert code == 0
        me = requests.get(proc.api + "/me", headers=auth, timeout=30)
        assert me.status_code == 401
        assert error_code(me) == "unauthorized"
    assert proc.returncode == 0  # SIGTERM is a clean stop

    secret = tmp_path / "srv" / "jwt-secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    log = proc.log_path.read_text()
    assert secret.read_text().strip() not in log
    assert tokens["access_token"] not in log
    assert PASSWORD not in log
    assert "X-Amz-Signature=" not in log
    assert "Traceback" not in log

    code, out, _ = _run(["uploads", "list", "--data-dir", str(tmp_path / "srv")], capsys)
    assert code == 0
    assert "completed" in out
    assert created["key"] in out


@pytest.mark.integration
def test_serve_starts_while_storage_is_down_and_says_so(tmp_path: Path) -> None:
    down = S3Endpoint("http://127.0.0.1:9", "k", "s")  # the discard port: nothing listens
    proc = BackendProcess(down, bucket="b", data_dir=tmp_path / "srv", s3_connect_timeout_seconds=1)
    proc.add_user("alice", PASSWORD)
    with proc:
        tokens = requests.post(
            proc.api + "/auth/login", json={"username": "alice", "password": PASSWORD}, timeout=30
        ).json()
        resp = requests.post(
            proc.api + "/uploads",
            json={"filename": "a.webm", "size": 2, "metadata": {"exam_id": "E", "kind": "webcam"}},
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=60,
        )
        assert resp.status_code == 503
        assert error_code(resp) == "storage_unavailable"
    assert "Storage is not reachable yet" in proc.log_tail()
    assert proc.returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ["user", "list"],
        ["user", "disable", "alice"],
        ["user", "add", "alice", "--password-stdin"],
        ["uploads", "list"],
        ["exams", "show", "EXAM-1"],
        ["receipts", "keys"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_admin_commands_never_create_a_data_folder_where_they_run(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DATA_DIR", "DB"):
        monkeypatch.delenv(f"PROCTOR_BACKEND_{name}", raising=False)
    with pytest.raises(SystemExit, match="--data-dir") as stopped:
        _run(args, capsys, PASSWORD + "\n")
    assert "proctor-backend-data" in str(stopped.value)  # where it looked
    assert list(tmp_path.iterdir()) == []


def test_an_explicit_folder_without_a_database_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo"
    with pytest.raises(SystemExit, match=r"no database at .*typo") as stopped:
        _run(["user", "list", "--data-dir", str(missing)], capsys)
    assert "user add" in str(stopped.value)
    assert not missing.exists()
    # `user add` with an explicit place creates the first account of a new server there.
    code, out, _ = _run(
        ["user", "add", "alice", "--password-stdin", "--data-dir", str(missing)], capsys, PASSWORD
    )
    assert code == 0, out
    code, out, _ = _run(["user", "list", "--data-dir", str(missing)], capsys)
    assert out.splitlines() == ["alice\tuser\tenabled"]
