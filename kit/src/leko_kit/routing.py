"""A lean handler for a service's busiest JSON write (respondents answering by invitation
token, every respondent of every round): a JSON body that fits the route's model is validated
by pydantic straight from the bytes and handed to the service, without FastAPI's per-request
dependency solving and response-model serialisation (about a third of such a route's CPU).

Anything else (another content type, a body that does not validate, path parameters the
route's own declaration would refuse) goes to the standard handler built from the route's
endpoint, so every error is FastAPI's own, and the contract in the OpenAPI document is the
endpoint's too. The lean handler must do what the endpoint does: it is the same service call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

Body = TypeVar("Body", bound=BaseModel)


def lean_json_route(
    body_model: type[Body],
    handle: Callable[[Request, Body], Awaitable[BaseModel]],
    *,
    status_code: int,
    headers: Mapping[str, str],
    accepts: Callable[[Request], bool],
) -> type[APIRoute]:
    """A route class (`route_class_override=`) answering with `handle(request, body)` when
    `accepts(request)` (the path parameters are valid) and the body is JSON of `body_model`."""

    class LeanJsonRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            standard = super().get_route_handler()

            async def handler(request: Request) -> Response:
                media_type = request.headers.get("content-type", "").partition(";")[0]
                if media_type.strip().lower() != "application/json" or not accepts(request):
                    return await standard(request)
                try:
                    body = body_model.model_validate_json(await request.body())
                except ValidationError:
                    return await standard(request)
                result = await handle(request, body)
                return Response(
                    result.model_dump_json(),
                    status_code=status_code,
                    media_type="application/json",
                    headers=dict(headers),
                )

            return handler

    return LeanJsonRoute
