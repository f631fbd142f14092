"""Property tests from /openapi.json (schemathesis): no generated request gets a 500.

Every operation is exercised with generated valid and invalid inputs, signed in (the common case)
and, for the upload operations, also with ids that exist, so requests reach the storage layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.backend.conftest import add_test_users
from tests.backend.helpers import Client
from tests.support.backend_server import run_backend
from tests.support.storage import S3Endpoint, make_bucket

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def api(moto_endpoint: S3Endpoint, tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Api]:
    data_dir: Path = tmp_path_factory.mktemp("schemathesis")
    # Generous login limits: generated bodies include many wrong passwords from one address.
    with run_backend(
        moto_endpoint,
        bucket=make_bucket(moto_endpoint),
        data_dir=data_dir,
        login_max_failures=10**6,
        login_max_failures_per_address=10**6,
    ) as backend:
        add_test_users(backend, "alice")
        alice = Client(backend, "alice")
        yield _Api(
            schema=schemathesis.openapi.from_url(backend.url + "/openapi.json"),
            auth=f"Bearer {alice.access}",
            upload_id=alice.create(1)["upload_id"],
        )


@dataclass(frozen=True)
class _Api:
    schema: Any
    auth: str
    upload_id: str


def _operations(api: _Api) -> list[Any]:
    return [result.ok() for result in api.schema.get_all_operations()]


def test_the_schema_lists_every_operation(api: _Api) -> None:
    labels = {op.label for op in _operations(api)}
    assert {
        "GET /api/v1/health",
        "POST /api/v1/auth/login",
        "POST /api/v1/auth/refresh",
        "POST /api/v1/auth/logout",
        "GET /api/v1/me",
        "POST /api/v1/uploads",
        "GET /api/v1/uploads",
        "GET /api/v1/uploads/{upload_id}",
        "POST /api/v1/uploads/{upload_id}/parts",
        "GET /api/v1/uploads/{upload_id}/parts",
        "POST /api/v1/uploads/{upload_id}/complete",
        "DELETE /api/v1/uploads/{upload_id}",
        "POST /api/v1/files/presigned-url",
    } <= labels


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_gets_a_server_error(api: _Api, mode: GenerationMode) -> None:
    checked: list[str] = []
    for operation in _operations(api):
        if operation.method.upper() == "DELETE":
            continue  # aborting the shared upload would turn later calls into plain 404s
        real_id = {"upload_id": api.upload_id} if "{upload_id}" in operation.path else None
        for path_parameters in (None, real_id) if real_id else (None,):
            strategy = operation.as_strategy(mode, path_parameters=path_parameters)

            @given(case=strategy)
            @settings(
                max_examples=15,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                response = case.call(headers={"Authorization": api.auth}, timeout=60)
                assert response.status_code < 500, (case.method, case.formatted_path, response.text)
                if response.status_code >= 400:
                    body = response.json()
                    assert set(body) == {"error"}, body
                    assert isinstance(body["error"]["code"], str)
                    assert isinstance(body["error"]["message"], str)

            try:
                run()
            except Unsatisfiable:
                # Nothing invalid to generate here (e.g. GET /health has no inputs).
                assert mode is GenerationMode.NEGATIVE, operation.label
                continue
            checked.append(operation.label)
    assert len(set(checked)) >= (12 if mode is GenerationMode.POSITIVE else 8), checked
