"""`LEKO_GC_FREEZE`: a started service process takes its startup heap out of garbage
collection, unless told not to. Each case runs in its own process, so the test process's
collector is left as it is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leko_kit.heap import THRESHOLDS
from leko_kit.testing import InternalKeys

# Starts a bare service app's lifespan and reports the collector's state once it has started.
STARTED_SERVICE = """
import asyncio, gc, json, sys
from leko_kit.app import create_service_app
from leko_kit.settings import InternalAuthSettings

settings = InternalAuthSettings(database_url=sys.argv[1], internal_token_public_key=sys.argv[2])
app = create_service_app(settings=settings, title="t", description="t", routers=[])

async def main():
    async with app.router.lifespan_context(app):
        print(json.dumps({"frozen": gc.get_freeze_count(), "thresholds": gc.get_threshold()}))

asyncio.run(main())
"""


def started_collector(tmp_path: Path, keys: InternalKeys, setting: str) -> tuple[int, list[int]]:
    """The objects frozen and the collector's thresholds in a service started with
    `LEKO_GC_FREEZE=setting`."""
    environment = dict(os.environ, LEKO_GC_FREEZE=setting)
    database = f"sqlite+aiosqlite:///{tmp_path / 'heap.db'}"
    finished = subprocess.run(
        [sys.executable, "-c", STARTED_SERVICE, database, keys.public_pem],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = json.loads(finished.stdout.splitlines()[-1])
    return int(found["frozen"]), list(found["thresholds"])


@pytest.mark.parametrize(
    ("setting", "frozen", "thresholds"), [("true", True, list(THRESHOLDS)), ("false", False, None)]
)
def test_a_started_service_freezes_its_heap_unless_told_not_to(
    tmp_path: Path,
    internal_keys: InternalKeys,
    setting: str,
    frozen: bool,
    thresholds: list[int] | None,
) -> None:
    frozen_objects, found_thresholds = started_collector(tmp_path, internal_keys, setting)
    assert (frozen_objects > 0) is frozen
    if thresholds is not None:
        assert found_thresholds == thresholds
    else:
        assert found_thresholds != list(THRESHOLDS)
