"""`python -m leko_registry migrate | seed | serve`."""

from __future__ import annotations

from leko_kit.runner import service_main
from leko_registry import MIGRATIONS
from leko_registry.seed import seed
from leko_registry.settings import RegistrySettings


def main() -> None:
    service_main(
        None,
        settings_factory=RegistrySettings,
        app_path="leko_registry.app:create_app",
        migrations=MIGRATIONS,
        seed=seed,
    )


if __name__ == "__main__":
    main()
