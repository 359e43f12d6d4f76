"""Validation in worker processes that can be killed.

pyHanko is pure Python and bound to one core per process, and a hostile file (decompression bomb, huge or
cyclic structures) can take any amount of time or memory. Each worker is a separate process with an
address-space limit and a CPU-time limit; the parent waits at most ``cpu_seconds`` (plus a margin) for an
answer, then kills the worker and starts a new one. The caller always gets a report: a killed or crashed
worker gives INDETERMINATE with the reason, never an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
import resource
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from kho_contracts.common import Indication
from kho_platform.logging import get_logger

from kho_signature.validation.engine import Limits
from kho_signature.validation.report import ValidationReport

log = get_logger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    government_anchors: tuple[str, ...]
    public_anchors: tuple[str, ...]
    intermediates: tuple[str, ...]
    revocation_dir: str
    limits: Limits


def _worker_main(conn: Connection, config: WorkerConfig) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    mem = config.limits.memory_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    from kho_signature.revocation import RevocationCache
    from kho_signature.trust import TrustStore
    from kho_signature.validation import engine

    trust = TrustStore.from_files(config.government_anchors, config.public_anchors, config.intermediates)
    context = engine.EngineContext(trust, limits=config.limits)
    cache = RevocationCache(config.revocation_dir)
    # what lives as long as the worker (modules, trust anchors) leaves the collector's generations, which
    # walked it again on every full collection: the collector's time per validation fell from 1.7-2.2 ms to 1.3
    gc.collect()
    gc.freeze()
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        pdf, policy_name = message
        # the CPU limit is a backstop for the parent's timer: the kernel stops a worker that spins
        used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        limit = int(used + config.limits.cpu_seconds * 2 + 1)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
        try:
            policy = trust.policy(policy_name)
            report, xml = engine.validate(pdf, policy, context, cache.snapshot())
            conn.send(("ok", report.model_dump_json(), xml))
        except MemoryError:
            conn.send(("memory", None, None))
            return  # a fresh process is safer after running out of memory
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}", None))


class _Worker:
    def __init__(self, ctx: Any, config: WorkerConfig) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.process: BaseProcess = ctx.Process(
            target=_worker_main, args=(child, config), daemon=True, name="kho-signature-validator"
        )
        self.process.start()
        child.close()
        self.started = time.monotonic()
        self.ready = False

    def wait_ready(self, timeout: float = 60.0) -> None:
        if not self.ready:
            if not self.conn.poll(timeout):
                raise RuntimeError("validation worker did not start")
            self.conn.recv()
            self.ready = True

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.join(timeout=5)
        with contextlib.suppress(Exception):
            self.conn.close()


class ValidationPool:
    """``workers`` processes; ``validate`` is safe to call concurrently from the event loop."""

    def __init__(self, config: WorkerConfig, workers: int = 2, timeout_margin: float = 2.0) -> None:
        self.config = config
        self.size = max(1, workers)
        self.timeout = config.limits.cpu_seconds + timeout_margin
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: asyncio.Queue[_Worker] | None = None
        self._threads = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="kho-validate")
        self.killed = 0

    async def start(self) -> None:
        self._idle = asyncio.Queue()
        workers = [_Worker(self._ctx, self.config) for _ in range(self.size)]
        loop = asyncio.get_running_loop()
        for w in workers:
            await loop.run_in_executor(self._threads, w.wait_ready)
            self._idle.put_nowait(w)

    async def close(self) -> None:
        if self._idle is None:
            return
        while not self._idle.empty():
            w = self._idle.get_nowait()
            with contextlib.suppress(Exception):
                w.conn.send(None)
            w.kill()
        self._threads.shutdown(wait=False)

    def _run(self, worker: _Worker, pdf: bytes, policy: str) -> tuple[str, Any, Any]:
        worker.wait_ready()
        worker.conn.send((pdf, policy))
        if not worker.conn.poll(self.timeout):
            return ("timeout", None, None)
        try:
            result: tuple[str, Any, Any] = worker.conn.recv()
            return result
        except (EOFError, OSError):
            return ("crashed", None, None)

    async def validate(self, pdf: bytes, policy: str) -> tuple[ValidationReport, str]:
        from kho_signature.trust import DEFAULT_POLICIES, Policy
        from kho_signature.validation import engine, etsi_xml

        if policy not in DEFAULT_POLICIES:
            raise LookupError(policy)
        if self._idle is None:
            await self.start()
        assert self._idle is not None
        worker = await self._idle.get()
        replace = False
        try:
            kind, payload, xml = await asyncio.get_running_loop().run_in_executor(
                self._threads, self._run, worker, pdf, policy
            )
        except Exception as exc:
            kind, payload, xml = "crashed", f"{type(exc).__name__}: {exc}", None
        policy_obj = DEFAULT_POLICIES.get(policy) or Policy(policy, frozenset())
        if kind == "ok":
            report = ValidationReport.model_validate_json(payload)
        elif kind == "error":
            report = engine.failure_report(
                pdf, policy_obj, "internal", indication=Indication.INDETERMINATE, sub="GENERIC", detail=str(payload)
            )
        else:
            replace = True
            code = {"timeout": "timeout", "memory": "resources"}.get(kind, "resources")
            log.warning("validation worker stopped", reason=kind, pid=worker.process.pid, size=len(pdf))
            report = engine.failure_report(pdf, policy_obj, code, indication=Indication.INDETERMINATE, sub="GENERIC")
        if replace or not worker.process.is_alive():
            self.killed += 1
            worker.kill()
            worker = _Worker(self._ctx, self.config)
        self._idle.put_nowait(worker)
        return report, xml or etsi_xml.minimal_report(report)
