"""The outbox of delivery outcomes.

An outcome and its events (NotificationDelivered or NotificationFailed, and for a notification that failed
on every channel the dead letter of the original event) are written together into the small
`delivery_outbox` collection. Outcomes recorded while one write is in flight (or within `linger` seconds of
the first) share ONE entry: its events packed, its outcomes packed, their delivery ids in a plain list. Under
load that is one insert (and later one delete) for a dozen outcomes instead of one each, which was a third
of the database's work per notification.

The relay publishes an entry's events, copies its outcomes into the permanent `deliveries` collection
(idempotent inserts, one document per delivery), and deletes the entry. A crash anywhere in between
publishes again (at least once) and never loses an outcome.

The fast path is in memory: the instance that wrote an entry relays it at once, in batches. A sweep of the
outbox picks up what a crashed instance left behind (older than `orphan_after` seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import bson
from bson import Binary
from kho_contracts import KafkaRecord
from kho_contracts.ids import random_uuid
from kho_platform.logging import get_logger
from kho_platform.mongo import Document
from kho_platform.outbox import packed_records, unpacked_records
from prometheus_client import Counter
from pymongo.errors import BulkWriteError

from kho_notify.adapters.store import ENTRY_OUTCOMES, DeliveryStore

log = get_logger(__name__)


@dataclass(frozen=True)
class Unrelayed:
    """An outbox entry to relay: its id, its events and its outcomes as they are archived."""

    entry_id: str
    records: list[KafkaRecord]
    archive: list[Document]


RELAYED = Counter("kho_notify_outbox_relayed_total", "Delivery events published from the outbox")

Publish = Callable[[list[KafkaRecord]], Awaitable[None]]  # in order, all acknowledged


class DeliveryOutbox:
    def __init__(
        self,
        store: DeliveryStore,
        publish: Publish,
        *,
        batch: int = 500,
        linger: float = 0.005,
        sweep_seconds: float = 5.0,
        orphan_after: float = 10.0,
    ) -> None:
        self._store = store
        self._publish = publish
        self._batch = batch
        self._linger = linger
        self._pending: list[tuple[Document, list[KafkaRecord], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._sweep_seconds = sweep_seconds
        self._orphan_after = orphan_after
        self._queue: list[Unrelayed] = []
        self._wakeup = asyncio.Event()
        self._stopping = False

    async def record(self, outcome: Document, records: list[KafkaRecord]) -> None:
        """Writes an outcome with its events (in the next shared entry); returns once it is stored."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((outcome, records, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending(), name="delivery-outbox-writer")
        await done

    async def _write_pending(self) -> None:
        if self._linger:
            await asyncio.sleep(self._linger)
        while self._pending:
            group, self._pending = self._pending[: self._batch], self._pending[self._batch :]
            now = datetime.now(UTC)
            archive = [self._store.outcomes.pack({**outcome, "recorded_at": now}) for outcome, _, _ in group]
            records = [r for _, group_records, _ in group for r in group_records]
            entry_id = random_uuid()
            entry = {
                "_id": entry_id,
                "recorded_at": now,
                "dids": [outcome["_id"] for outcome, _, _ in group],
                ENTRY_OUTCOMES: Binary(bson.encode({"o": archive})),  # as they will be archived
                "events": packed_records(records),
            }
            try:
                await self._store.outbox.insert_one(entry)
            except Exception as exc:
                for _, _, done in group:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for _, _, done in group:
                if not done.done():
                    done.set_result(None)
            self._queue.append(Unrelayed(entry_id, records, archive))  # relayed without reading it back
            self._wakeup.set()

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        await self._sweep(orphans_only=False)  # what the previous run of this replica left behind
        last_sweep = asyncio.get_running_loop().time()
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._sweep_seconds)
            self._wakeup.clear()
            try:
                while self._queue:
                    batch, self._queue = self._queue[: self._batch], self._queue[self._batch :]
                    await self._relay(batch)
                if asyncio.get_running_loop().time() - last_sweep >= self._sweep_seconds:
                    last_sweep = asyncio.get_running_loop().time()
                    await self._sweep(orphans_only=True)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Kafka or the database is down: the sweep picks it up again
                log.warning("delivery outbox relay failed, will retry", error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(1.0)

    async def drain(self) -> None:
        """Publishes everything pending now (tests and shutdown)."""
        while self._queue:
            batch, self._queue = self._queue[: self._batch], self._queue[self._batch :]
            await self._relay(batch)
        await self._sweep(orphans_only=False)

    async def _sweep(self, *, orphans_only: bool) -> None:
        query: Document = {}
        if orphans_only:
            query = {"recorded_at": {"$lt": datetime.now(UTC) - timedelta(seconds=self._orphan_after)}}
        while docs := await self._store.outbox.find(query).limit(self._batch).to_list():
            await self._relay(
                [Unrelayed(d["_id"], unpacked_records(d["events"]), self._store.entry_archive(d)) for d in docs]
            )
            if len(docs) < self._batch:
                return

    async def _relay(self, entries: list[Unrelayed]) -> None:
        records = [record for entry in entries for record in entry.records]
        await self._publish(records)
        RELAYED.inc(len(records))
        with contextlib.suppress(BulkWriteError):  # already archived by an earlier, interrupted relay
            await self._store.deliveries.insert_many([doc for e in entries for doc in e.archive], ordered=False)
        await self._store.outbox.delete_many({"_id": {"$in": [entry.entry_id for entry in entries]}})
