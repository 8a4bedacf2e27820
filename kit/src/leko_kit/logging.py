"""structlog configuration: JSON lines in production, readable in a terminal.

Every line carries `service`, and inside a request `request_id` and the caller's `client_id`
(bound by the request-context middleware and the principal middleware).
"""

from __future__ import annotations

import logging
import sys

import structlog

_SECRET_KEYS = frozenset({"authorization", "api_key", "token", "password", "secret"})


def _drop_secrets(
    _logger: object, _method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    for key in _SECRET_KEYS & event.keys():
        event[key] = "[redacted]"
    return event


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is at the time, so redirection is honoured."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(*, service: str, level: str = "info", json: bool | None = None) -> None:
    """Configure structlog and the stdlib root logger for one process."""
    render_json = (not sys.stderr.isatty()) if json is None else json
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        numeric_level = logging.INFO
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_secrets,
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if render_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info if render_json else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)
    # Libraries log through the stdlib: keep their warnings, in the same stream.
    logging.basicConfig(level=max(numeric_level, logging.WARNING), stream=sys.stderr, force=True)
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).disabled = True
