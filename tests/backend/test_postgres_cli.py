"""Every admin command reaches PostgreSQL by `--database-url` or `PROCTOR_BACKEND_DATABASE_URL`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from backend.cli import main
from tests.support.postgres import PostgresServer

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
