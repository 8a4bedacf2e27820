"""The command line every service package exposes as `python -m leko_<service>`:

    migrate   bring the database to the newest Alembic revision
    seed      load the service's reference data (idempotent)
    serve     run the HTTP server (uvicorn with uvloop and httptools; `<PREFIX>_WORKERS`
              processes, one by default)

`make run` drives these; in production each is a separate step (a migration job, then pods).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TypeVar

import uvicorn

from leko_kit.migrations import upgrade
from leko_kit.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def service_main(
    argv: Sequence[str] | None,
    *,
    settings_factory: Callable[[], S],
    app_path: str,
    migrations: Path,
    seed: Callable[[S], Coroutine[object, object, str]] | None = None,
) -> None:
    """Parse `migrate | seed | serve` and run it. `app_path` is uvicorn's `module:factory`."""
    parser = argparse.ArgumentParser(prog=app_path.split(":")[0].split(".")[0])
    commands = ["migrate", "serve"] + (["seed"] if seed else [])
    parser.add_argument("command", choices=commands)
    args = parser.parse_args(argv)
    settings = settings_factory()
    if args.command == "migrate":
        asyncio.run(upgrade(migrations, database_url=settings.database_url))
        print(f"{settings.service_name}: database migrated")
    elif args.command == "seed":
        assert seed is not None
        print(asyncio.run(seed(settings)))
    else:
        uvicorn.run(
            app_path,
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            loop="uvloop",
            http="httptools",
            access_log=False,
            log_level="warning",
            proxy_headers=False,
            server_header=False,
        )
