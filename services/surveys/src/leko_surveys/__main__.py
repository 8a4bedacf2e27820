"""`python -m leko_surveys migrate | seed | serve`."""

from __future__ import annotations

from leko_kit.runner import service_main
from leko_surveys import MIGRATIONS
from leko_surveys.seed import seed
from leko_surveys.settings import SurveysSettings


def main() -> None:
    service_main(
        None,
        settings_factory=SurveysSettings,
        app_path="leko_surveys.app:create_app",
        migrations=MIGRATIONS,
        seed=seed,
    )


if __name__ == "__main__":
    main()
