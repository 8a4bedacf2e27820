"""LEKO evaluation service (den fællesoffentlige ledelsesevaluering): national question sets,
evaluation rounds, anonymous 360° responses, leader and organisation reports, the national
overview and the research export."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
