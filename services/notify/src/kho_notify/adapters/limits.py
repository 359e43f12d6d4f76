"""Per-provider limits: a token bucket for the rate and a bound on the calls in flight."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class RateLimiter:
    """At most `rate` acquisitions a second on average, bursts of up to `burst`."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate / 10)
        self._tokens = self.burst
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:  # first come, first served
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)


class ProviderLimits:
    def __init__(self, rate: float, concurrency: int) -> None:
        self.rate = RateLimiter(rate)
        self._slots = asyncio.Semaphore(concurrency)

    @asynccontextmanager
    async def call(self) -> AsyncIterator[None]:
        async with self._slots:
            await self.rate.acquire()
            yield
