"""`python -m leko_evaluation migrate | seed | serve`."""

from __future__ import annotations

from leko_evaluation import MIGRATIONS
from leko_evaluation.seed import seed
from leko_evaluation.settings import EvaluationSettings
from leko_kit.runner import service_main


def main() -> None:
    service_main(
        None,
        settings_factory=EvaluationSettings,
        app_path="leko_evaluation.app:create_app",
        migrations=MIGRATIONS,
        seed=seed,
    )


if __name__ == "__main__":
    main()
