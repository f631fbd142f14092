"""PostgreSQL from the outside: every admin command reaches it by `--database-url` or
`PROCTOR_BACKEND_DATABASE_URL`, and a database that stops answering is a 503, not a 500."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from backend.cli import main
from tests.backend.conftest import add_test_users
from tests.backend.helpers import Client, error_code
from tests.support.backend_server import run_backend
from tests.support.postgres import PostgresServer
from tests.support.storage import S3Endpoint, make_bucket

pytestmark = pytest.mark.postgresql
PASSWORD = "a long enough password"


def _run(
    args: list[str], capsys: pytest.CaptureFixture[str], stdin: str = ""
) -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdin", io.StringIO(stdin))
        code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_user_and_uploads_commands_work_on_postgresql_by_flag_and_by_variable(
    postgres: PostgresServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = postgres.create_database()
    flag = ["--database-url", url]
    code, out, err = _run(["user", "add", "alice", "--password-stdin", *flag], capsys, PASSWORD)
    assert code == 0, err
    code, _, err = _run(["user", "add", "alice", "--password-stdin", *flag], capsys, PASSWORD)
    assert (code, "already exists" in err) == (1, True)

    monkeypatch.chdir(tmp_path)  # nothing may land in a local SQLite file by mistake
    monkeypatch.setenv("PROCTOR_BACKEND_DATABASE_URL", url)
    code, out, _ = _run(["user", "disable", "alice"], capsys)
    assert code == 0
    code, out, _ = _run(["user", "list"], capsys)
    assert out.splitlines() == ["alice\tuser\tdisabled"]
    code, out, _ = _run(["uploads", "list"], capsys)
    assert (code, out.strip()) == (0, "No uploads.")
    assert list(tmp_path.iterdir()) == []


def test_a_database_server_that_does_not_answer_is_a_clear_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.support.storage import free_port

    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
    code, _, err = _run(["user", "list", "--database-url", url], capsys)
    assert code == 1
    assert "cannot connect to PostgreSQL" in err
    assert "Traceback" not in err


def test_serve_on_postgresql_refuses_to_invent_a_jwt_secret(
    postgres: PostgresServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = postgres.create_database()
    code, _, err = _run(
        ["serve", "--database-url", url, "--data-dir", str(tmp_path), "--port", "0"], capsys
    )
    assert code == 2
    assert "PROCTOR_BACKEND_JWT_SECRET must be set" in err


@pytest.mark.integration
def test_a_database_that_stops_answering_gives_503_not_500(
    postgres: PostgresServer, moto_endpoint: S3Endpoint, tmp_path: Path
) -> None:
    url = postgres.create_database()
    name = url.rsplit("/", 1)[1]
    with run_backend(
        moto_endpoint, bucket=make_bucket(moto_endpoint), data_dir=tmp_path, database_url=url
    ) as running:
        add_test_users(running, "alice")
        alice = Client(running, "alice")
        assert alice.get("/uploads").status_code == 200
        # Superusers ignore connection limits: take the database away by name instead (its
        # sessions ended first, as a server restart would end them).
        _rename(postgres, name, name + "_away")
        try:
            down = alice.get("/uploads")
            assert down.status_code == 503, down.text
            assert error_code(down) == "database_unavailable"
            assert down.headers["Retry-After"] == "5"
        finally:
            _rename(postgres, name + "_away", name)
        assert alice.get("/uploads").status_code == 200  # back without a restart


def _rename(postgres: PostgresServer, old: str, new: str) -> None:
    import psycopg

    with psycopg.connect(postgres.url(), autocommit=True) as admin:
        for _ in range(50):  # the pool may reconnect between the two statements: try again
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (old,)
            )
            try:
                admin.execute(f'ALTER DATABASE "{old}" RENAME TO "{new}"')
            except psycopg.errors.ObjectInUse:
                continue
            return
    raise AssertionError(f"could not rename {old}")
