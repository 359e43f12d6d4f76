"""Publishes the vault's pending events. It works from the small `outbox_pending` collection (one pointer per
vault with unpublished events) instead of scanning the vaults: on FerretDB 1.24 a filter on `outbox_pending`
would read every vault. Delivery is at least once; every consumer is idempotent."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from kho_contracts import KafkaRecord
from kho_platform.logging import get_logger
from kho_platform.outbox import entry_record
from prometheus_client import Counter

from kho_vault.adapters.vaults import VaultStore

log = get_logger(__name__)

PUBLISHED = Counter("kho_vault_events_published_total", "Vault events published from the outbox", ["type"])


class VaultRelay:
    def __init__(
        self, store: VaultStore, publish: Callable[[KafkaRecord], Awaitable[None]], poll_seconds: float = 0.25
    ) -> None:
        self._store = store
        self._publish = publish
        self._poll = poll_seconds
        self._wakeup = asyncio.Event()
        store.on_new_events(self.wake)

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        while True:
            self._wakeup.clear()
            try:
                published = await self.drain_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Kafka or the database is down: keep trying
                log.warning("vault outbox relay failed, will retry", error=f"{type(exc).__name__}: {exc}")
                published = 0
            if published:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll)

    async def drain_once(self) -> int:
        total = 0
        for owner_id in await self._store.pending_owners():
            total += await self.flush(owner_id)
        return total

    async def flush(self, owner_id: str) -> int:
        doc = await self._store.read(owner_id)
        sent: list[str] = []
        try:
            for entry in (doc or {}).get("outbox") or []:
                await self._publish(entry_record(entry))
                sent.append(entry["id"])
                PUBLISHED.labels(entry.get("type") or "").inc()
        finally:
            await self._store.acknowledge(owner_id, sent)
        return len(sent)
