"""End-to-end fixtures: the real services and gateway processes on free ports."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leko_cli.platform import GATEWAY, SERVICES, DevSecrets, Platform


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """LEKO started exactly as `make run` starts it, on SQLite in a temporary data dir."""
    data_dir: Path = tmp_path_factory.mktemp("leko-data")
    ports = {component.name: free_port() for component in (*SERVICES, GATEWAY)}
    running = Platform(
        data_dir=data_dir,
        ports=ports,
        secrets=DevSecrets.load(data_dir, None),
        extra_env={
            "LEKO_LOG_LEVEL": "warning",
            "GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "2",
            "LEKO_REPLICA_POLL_SECONDS": "0.5",
        },
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture
def gateway(platform: Platform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.gateway_url, timeout=10.0) as client:
        yield client


@pytest.fixture
def admin(platform: Platform) -> dict[str, str]:
    return {"X-API-Key": platform.secrets.admin_key}
