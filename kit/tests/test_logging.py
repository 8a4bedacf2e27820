"""Log lines carry request_id, service and client_id, and never the token."""

from __future__ import annotations

import json

import httpx
import pytest

from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio


async def test_request_log_line_is_json_with_context(
    client: httpx.AsyncClient, internal_keys: InternalKeys, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = internal_keys.headers(roles=["reporter"], scope=["k101"], client_id="payroll-7")
    headers["X-Request-ID"] = "req-42"
    await client.get("/v1/notes", headers=headers)
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    access = [line for line in lines if line.get("event") == "request"]
    assert access, lines
    assert access[-1]["request_id"] == "req-42"
    assert access[-1]["service"] == "sample"
    assert access[-1]["client_id"] == "payroll-7"
    assert access[-1]["status"] == 200
    token = headers["Authorization"].split()[1]
    assert all(token not in json.dumps(line) for line in lines)


async def test_routine_requests_stay_out_of_the_info_log(
    client: httpx.AsyncClient, internal_keys: InternalKeys, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = internal_keys.headers(roles=["reporter"], scope=["k101"])
    await client.get("/healthz")
    await client.get("/v1/notes", headers=headers | {"User-Agent": "leko-replica"})
    await client.get("/v1/notes", headers=headers | {"User-Agent": "curl/8.5"})
    await client.get("/healthz/nothing-here")
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    logged = [(line["path"], line["status"]) for line in lines if line.get("event") == "request"]
    assert logged == [("/v1/notes", 200), ("/healthz/nothing-here", 404)]


async def test_invitation_tokens_stay_out_of_the_log(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    await client.get("/v1/invitations/s3cr3t-token-value/questions")
    err = capsys.readouterr().err
    assert "s3cr3t-token-value" not in err
    assert '"path": "/v1/invitations/{token}/questions"' in err
