"""LEKO surveys service (landsdækkende brugertilfredshedsundersøgelser): national
user-satisfaction programmes and the employee motivation survey, versioned questionnaires,
rounds with enrolled institutions and local questions, anonymous responses by invitation or
vendor import, results with confidence intervals and significance tests, publication to
citizens."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
