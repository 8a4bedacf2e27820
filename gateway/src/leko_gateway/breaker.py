"""A circuit breaker per upstream: stop sending requests to a service that keeps failing.

Closed: requests flow. After `failure_threshold` consecutive failures it opens: requests are
refused at once (503) for `reset_seconds`. Then it is half-open: one trial request goes
through; success closes it, failure opens it for another cool-down. A trial whose outcome is
never recorded (the caller went away) simply lets another trial through one cool-down later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int,
        reset_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> Literal["closed", "open", "half_open"]:
        if self._opened_at is None:
            return "closed"
        return "half_open" if self._trial else "open"

    def allow(self) -> bool:
        """Whether a request may go to the upstream now (the caller must record its outcome)."""
        if self._opened_at is None:
            return True
        now = self._clock()
        if now - self._opened_at >= self.reset_seconds:
            self._opened_at = now
            self._trial = True
            return True
        return False

    def retry_after(self) -> float:
        """Seconds until the next trial request is let through."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.reset_seconds - self._clock())

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial = False

    def record_failure(self) -> None:
        self._failures += 1
        if self._trial or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()
            self._trial = False
