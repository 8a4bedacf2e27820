"""Settings: defaults, the shared LEKO_ variables and refusing to start without a key."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from leko_kit.settings import InternalAuthSettings


class DemoSettings(InternalAuthSettings):
    service_name: str = "demo"


def test_service_refuses_to_start_without_the_public_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEKO_INTERNAL_TOKEN_PUBLIC_KEY", raising=False)
    with pytest.raises(ValidationError, match="LEKO_INTERNAL_TOKEN_PUBLIC_KEY is not set"):
        DemoSettings()


def test_defaults_and_shared_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEKO_INTERNAL_TOKEN_PUBLIC_KEY", "pem")
    monkeypatch.setenv("LEKO_DATA_DIR", "/srv/leko")
    monkeypatch.setenv("LEKO_ENVIRONMENT", "production")
    settings = DemoSettings()
    assert settings.environment == "production"
    assert settings.database_url == "sqlite+aiosqlite:////srv/leko/demo.db"
    assert settings.host == "127.0.0.1"


class PrefixedSettings(InternalAuthSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_")
    service_name: str = "demo"


def test_worker_processes_from_the_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEKO_INTERNAL_TOKEN_PUBLIC_KEY", "pem")
    assert PrefixedSettings().workers == 1
    monkeypatch.setenv("DEMO_WORKERS", "2")
    assert PrefixedSettings().workers == 2
    monkeypatch.setenv("DEMO_WORKERS", "0")
    with pytest.raises(ValidationError, match="workers"):
        PrefixedSettings()
