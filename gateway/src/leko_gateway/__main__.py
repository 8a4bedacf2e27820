"""`python -m leko_gateway migrate | serve`."""

from __future__ import annotations

from pathlib import Path

from leko_gateway.settings import GatewaySettings
from leko_kit.runner import service_main


def main() -> None:
    service_main(
        None,
        settings_factory=GatewaySettings,
        app_path="leko_gateway.app:create_app",
        migrations=Path(__file__).parent / "migrations",
    )


if __name__ == "__main__":
    main()
