"""Per-client token buckets: a flood gets 429 while everyone else, and the show, carry on.

Threading: used only on the web loop (no locks); the clock is injectable for tests.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_CLIENTS = 4096  # buckets kept; the least recently used one is forgotten beyond this


@dataclass(slots=True)
class _Bucket:
    """Tokens left and when they were last topped up."""

    tokens: float
    at: float


class RateLimiter:
    """Token buckets keyed by (client, kind): `rate` per second, bursts up to `burst`."""

    def __init__(self, rates: dict[str, tuple[float, float]], clock: Callable[[], float] = time.monotonic):
        """`rates`: kind → (per second, burst)."""
        self._rates = rates
        self._clock = clock
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()

    def allow(self, client: str, kind: str) -> bool:
        """Take one token for `client`'s `kind`; False when its bucket is empty (answer 429)."""
        rate, burst = self._rates[kind]
        now = self._clock()
        key = (client, kind)
        bucket = self._buckets.pop(key, None) or _Bucket(burst, now)
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * rate)
        bucket.at = now
        self._buckets[key] = bucket
        if len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def retry_after(self, kind: str) -> int:
        """Whole seconds until one more request of `kind` is allowed (for Retry-After)."""
        rate, _ = self._rates[kind]
        return max(1, round(1.0 / rate))
