"""Per-provider limits: a token bucket for the rate and a bound on the calls in flight."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Slots:
    """At most `size` holders at a time, first come first served.

    asyncio.Semaphore would do, but in Python 3.11 each of its acquisitions scans every waiter (`locked()`)
    and each wake-up removes the waiter from the middle of a deque: with hundreds of events waiting for a
    provider's 64 connections that was a measurable part of the service's CPU. Here a freed slot is handed
    to the first waiter directly."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        await self._acquire()
        try:
            yield
        finally:
            self._release()

    async def _acquire(self) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # the releaser gave us its slot
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # the slot was handed over just as we were cancelled: pass it on
            raise

    def _release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1


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
        self._slots = Slots(concurrency)

    @asynccontextmanager
    async def call(self) -> AsyncIterator[None]:
        async with self._slots.hold():
            await self.rate.acquire()
            yield
