"""Request dependencies shared by the sick-leave routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from leko_kit.replica import OrganisationReplica


def get_replica(request: Request) -> OrganisationReplica:
    replica: OrganisationReplica = request.app.state.replica
    return replica


Replica = Annotated[OrganisationReplica, Depends(get_replica)]
