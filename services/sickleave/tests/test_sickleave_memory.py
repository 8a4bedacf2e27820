"""The sick-leave service sets its data frames' allocator to give freed memory back soon (see
the package docstring), before Polars is loaded, unless the environment already says."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# What the allocator is given in a fresh process that imports the service, then Polars.
PROBE = (
    "import os, leko_sickleave, polars; "
    "print(os.environ['_RJEM_MALLOC_CONF'], polars.DataFrame({'a': [1]}).height)"
)


@pytest.mark.parametrize(
    ("given", "used"),
    [
        (None, "dirty_decay_ms:1000,muzzy_decay_ms:0"),
        ("dirty_decay_ms:0", "dirty_decay_ms:0"),
    ],
)
def test_the_allocator_setting_is_in_place_before_polars_loads(
    given: str | None, used: str
) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if given is not None:
        environment["_RJEM_MALLOC_CONF"] = given
    completed = subprocess.run(
        [sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, check=True
    )
    settings, rows = completed.stdout.split()
    assert settings.endswith("," + used) and rows == "1"  # after Polars' own: they win
