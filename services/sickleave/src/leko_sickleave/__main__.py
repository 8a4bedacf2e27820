"""`python -m leko_sickleave migrate | serve`."""

from __future__ import annotations

from leko_kit.runner import service_main
from leko_sickleave import MIGRATIONS
from leko_sickleave.settings import SickleaveSettings


def main() -> None:
    service_main(
        None,
        settings_factory=SickleaveSettings,
        app_path="leko_sickleave.app:create_app",
        migrations=MIGRATIONS,
    )


if __name__ == "__main__":
    main()
