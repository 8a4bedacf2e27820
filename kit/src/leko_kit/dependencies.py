"""Request dependencies of services with an organisation replica and time-bound rounds: the
replica and the clock (`app.state.clock`, replaceable in tests, so that rounds can be opened
and closed without waiting). Both are `async` although they await nothing: FastAPI runs a
plain `def` dependency in its thread pool, a hand-off that cost about 5 % of a busy route's
CPU."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from leko_kit.replica import OrganisationReplica

Clock = Callable[[], datetime]


async def get_replica(request: Request) -> OrganisationReplica:
    replica: OrganisationReplica = request.app.state.replica
    return replica


async def get_now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock()


Replica = Annotated[OrganisationReplica, Depends(get_replica)]
Now = Annotated[datetime, Depends(get_now)]
