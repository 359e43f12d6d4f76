"""The garbage collector of a long-running service.

Reference counting frees almost everything a request or an event allocates; the cycle collector only looks for
cycles. With Python's defaults it still ran about 30 times a second in notify at 500 events/s, and each full
collection walked the whole heap built at startup (modules, schemas, clients), which never becomes garbage:
about 130 ms with the event loop stopped, four or five times in 20 s, and 15 % of the service's CPU.

So a service process (`kho_platform.runner.serve`, not the tests' in-process apps) freezes the heap it built
before serving (`gc.freeze`: later collections skip it) and lets many more container allocations accumulate
before a young collection (`gc_young_threshold`). Cycles are still collected, only less often; each pause is
recorded in `kho_gc_pause_seconds`.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from prometheus_client import Histogram

PAUSES = Histogram(
    "kho_gc_pause_seconds",
    "Pauses of the cycle collector",
    ["generation"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5),
)

_started: list[float] = []


def _time_collections(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started.append(time.perf_counter())
    elif _started:
        PAUSES.labels(str(info["generation"])).observe(time.perf_counter() - _started.pop())


def relax_collector(young_threshold: int) -> None:
    """Collects the young generation after `young_threshold` net container allocations (0 keeps Python's
    default of 700; the older generations keep their default ratios), and times every collection."""
    if young_threshold > 0:
        _, middle, old = gc.get_threshold()
        gc.set_threshold(young_threshold, middle, old)
    if _time_collections not in gc.callbacks:
        gc.callbacks.append(_time_collections)


def freeze_startup_heap() -> None:
    """Called once the application is built: what exists now lives as long as the process."""
    gc.collect()
    gc.freeze()
