"""LEKO sick-leave service (indsats mod sygefravær): absence spells and staffing from payroll
and HR systems, and the standard absence KPIs for any organisation subtree."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
