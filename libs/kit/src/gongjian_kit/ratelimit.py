"""A token bucket per subject: bursts of look-ups that could enumerate personal data are refused.

Each process keeps its own buckets (a service with N replicas allows N times the rate; the audit
rows show every look-up whichever replica answered). The rate is a setting:
``LOOKUP_RATE_PER_MINUTE`` (default 30) and ``LOOKUP_BURST`` (default 30), read from the
environment like the service's other settings.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from pydantic_settings import BaseSettings, SettingsConfigDict


class LookupLimitSettings(BaseSettings):
    """How many look-ups by ID number (and refused duplicate probes) one subject may make."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    lookup_rate_per_minute: float = 30.0
    lookup_burst: int = 30


class SubjectLimiter:
    """Token buckets keyed by subject, refilled continuously; the least recently used buckets
    are forgotten beyond ``max_subjects`` (a forgotten bucket starts full, as a new one does)."""

    def __init__(
        self,
        rate_per_minute: float,
        burst: int,
        *,
        max_subjects: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate_per_s = rate_per_minute / 60.0
        self.burst = float(burst)
        self.max_subjects = max_subjects
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at

    @classmethod
    def from_settings(cls, settings: LookupLimitSettings | None = None) -> SubjectLimiter:
        settings = settings or LookupLimitSettings()
        return cls(settings.lookup_rate_per_minute, settings.lookup_burst)

    def _tokens(self, subject: str) -> float:
        now = self.clock()
        tokens, at = self._buckets.get(subject, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate_per_s)
        self._buckets[subject] = (tokens, now)
        self._buckets.move_to_end(subject)
        while len(self._buckets) > self.max_subjects:
            self._buckets.popitem(last=False)
        return tokens

    def exhausted(self, subject: str) -> bool:
        """No look-up left for ``subject`` now (nothing is taken)."""
        return self._tokens(subject) < 1.0

    def take(self, subject: str) -> bool:
        """Spend one look-up; False (and nothing spent) when none is left."""
        tokens = self._tokens(subject)
        if tokens < 1.0:
            return False
        self._buckets[subject] = (tokens - 1.0, self.clock())
        return True
