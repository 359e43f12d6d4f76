"""Gap-free numbers (dossier codes per agency and day, certification numbers per book and year).

FerretDB 1.24 has no transactions, and we measured that its findAndModify/$inc and version-checked updates
lose concurrent writes on one document (200 concurrent $inc on one counter ended at 36; see
docs/decisions/submission-dossier-numbers.md). The one write it makes atomic is an insert against a unique
index. So a number is taken by inserting a slot document `{key}:{n}` that names its holder (the dossier or
certification); the slot is the durable reservation, and a holder takes at most one slot per key (unique
index on `holder`). Numbers are tried in order, and n+1 is only tried after n was seen taken, so a gap can
never appear; a retry of the same holder hits the unique `holder` index and gets its slot back instead of a
new number. The slot's `_id` is `{key}:{n:06d}`, so the last number of a key is found with primary-key reads
(FerretDB 1.24 on SQLite filters nothing but `_id` in the database: any other query reads the collection).

Inside one process the requests for a key are queued and their slots inserted together with one ordered
`insert_many` (an ordered insert stops at the first duplicate, keeping the order). Several replicas compete
through the unique index: a duplicate means another replica took that number, and the batch goes on after it.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kho_platform.mongo import CollectionIndexes, Document
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError


def number_indexes(collection: str) -> CollectionIndexes:
    return CollectionIndexes(
        collection,
        (
            IndexModel([("key", ASCENDING), ("n", DESCENDING)], name="key_n", unique=True),
            IndexModel([("holder", ASCENDING)], name="holder", unique=True),
            IndexModel([("kind", ASCENDING), ("taken_at", ASCENDING)], name="kind_taken"),
        ),
    )


def slot_id(key: str, n: int) -> str:
    return f"{key}:{n:06d}"


@dataclass
class _Waiter:
    holder: str
    future: asyncio.Future[Document]
    extra: Document = field(default_factory=dict)


class GaplessNumbers:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._col = collection
        self._queues: dict[str, list[_Waiter]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._next: dict[str, int] = {}

    async def held(self, holder: str) -> Document | None:
        """The slot a holder already took, if any. Not on the hot path: FerretDB 1.24 (SQLite) filters only
        `_id` in the database, so this reads the collection."""
        return await self._col.find_one({"holder": holder})

    async def take(self, key: str, holder: str, **extra: object) -> Document:
        """The holder's slot under `key`: the next free number, or the slot it already holds (a retry)."""
        future: asyncio.Future[Document] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(key, []).append(_Waiter(holder, future, dict(extra)))
        worker = self._workers.get(key)
        if worker is None or worker.done():
            self._workers[key] = asyncio.create_task(self._drain(key), name=f"numbers:{key}")
        return await future

    async def last(self, key: str) -> int:
        """The highest number taken under `key`. Numbers are contiguous from 1, so it is found by probing
        slot ids (galloping, then bisecting): a few primary-key reads instead of a scan."""

        async def taken(n: int) -> bool:
            return await self._col.find_one({"_id": slot_id(key, n)}, projection={"_id": 1}) is not None

        if not await taken(1):
            return 0
        low, high = 1, 2
        while await taken(high):
            low, high = high, high * 2
        while high - low > 1:  # taken(low) and not taken(high)
            middle = (low + high) // 2
            low, high = (middle, high) if await taken(middle) else (low, middle)
        return low

    async def recent(self, kind: str, *, since: datetime, until: datetime) -> list[Document]:
        """Slots of a kind taken in a time window (for finishing interrupted work)."""
        return await self._col.find({"kind": kind, "taken_at": {"$gte": since, "$lt": until}}).to_list(5000)

    async def numbers(self, key: str) -> list[Document]:
        return await self._col.find({"key": key}).sort("n", ASCENDING).to_list()

    async def _drain(self, key: str) -> None:
        while self._queues.get(key):
            batch, self._queues[key] = self._queues[key], []
            try:
                await self._insert(key, batch)
            except Exception as exc:
                for waiter in batch:
                    if not waiter.future.done():
                        waiter.future.set_exception(exc)
                self._next.pop(key, None)
        self._queues.pop(key, None)

    async def _insert(self, key: str, pending: list[_Waiter]) -> None:
        start = self._next.get(key) or await self.last(key) + 1
        while pending:
            now = datetime.now(UTC)
            slots = [
                {
                    "_id": f"{key}:{start + i:06d}",
                    "key": key,
                    "n": start + i,
                    "holder": w.holder,
                    "taken_at": now,
                    **w.extra,
                }
                for i, w in enumerate(pending)
            ]
            inserted = len(slots)
            with contextlib.suppress(BulkWriteError):
                try:
                    await self._col.insert_many(slots, ordered=True)
                except BulkWriteError as exc:
                    inserted = int(exc.details.get("nInserted", 0))
                    raise
            for waiter, slot in zip(pending[:inserted], slots, strict=False):
                waiter.future.set_result(slot)
            pending = pending[inserted:]
            if not pending:
                self._next[key] = start + inserted
                return
            # The slot at start+inserted was refused: another replica took the number, or this holder
            # already holds one (a retry). Settle the holder, then carry on after the last taken number.
            first = pending[0]
            existing = await self.held(first.holder)
            if existing is not None:
                first.future.set_result(existing)
                pending = pending[1:]
            start = await self.last(key) + 1
