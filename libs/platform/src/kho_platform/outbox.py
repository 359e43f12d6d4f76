"""The transactional outbox, one document at a time.

FerretDB has no multi-document transactions, so an aggregate's document carries its own pending events:
one versioned update writes the new state and appends the events to `outbox` (and sets `outbox_pending`).
The relay claims documents with a lease (so that several replicas never publish the same document at the
same time), a batch at a time, publishes each document's events in order and removes them. A crash between
publishing and pulling publishes again: delivery is at least once, and every consumer is idempotent.

A document inserted with its first events can skip the claim: it is inserted already leased to this
process's relay (`OutboxRelay.leased`) and its events are handed over in memory (`OutboxRelay.inserted`).
The relay publishes them and empties the outbox with one update for a whole batch. On FerretDB 1.24 an
update costs about ten times an insert, per document, and the claim was an update and a read.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import bson
from bson import Binary
from kho_contracts import Event, KafkaRecord
from prometheus_client import Counter
from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from kho_platform.logging import get_logger
from kho_platform.mongo import CollectionIndexes, Document, bulk_update

log = get_logger(__name__)

PUBLISHED = Counter("kho_outbox_published_total", "Events published from the outbox", ["collection", "type"])

# The fields the outbox and its relay keep on a document.
OUTBOX_FIELDS = ("outbox", "outbox_pending", "outbox_lease_until", "outbox_lease_owner")

OUTBOX_INDEXES = (IndexModel([("outbox_pending", ASCENDING)], name="outbox_pending"),)

Publish = Callable[[KafkaRecord], Awaitable[None]]
RecordFactory = Callable[[Event], KafkaRecord]


def outbox_entry(record: KafkaRecord) -> Document:
    """The stored form of one pending event. The body is kept as JSON text: FerretDB forbids `.` and `$` in
    keys, and the event must go out byte for byte as it was written."""
    headers = {name: value.decode() for name, value in record.headers}
    return {
        "id": headers["ce_id"],
        "type": headers.get("ce_type"),
        "topic": record.topic,
        "key": record.key.decode(),
        "headers": [{"name": name, "value": value} for name, value in headers.items()],  # no nested arrays
        "value": record.value.decode(),
    }


def entry_record(entry: Document) -> KafkaRecord:
    return KafkaRecord(
        topic=entry["topic"],
        key=entry["key"].encode(),
        value=entry["value"].encode(),
        headers=[(h["name"], h["value"].encode()) for h in entry["headers"]],
    )


def packed_records(records: Iterable[KafkaRecord]) -> Binary:
    """Pending events as one opaque BSON value. For documents written and read once in bulk (an outbox of
    their own): FerretDB converts a binary value in one step, where a list of entries with their headers costs
    it a conversion per field, and that conversion is most of its CPU time on such collections. Inside, each
    record is a list [topic, key, value, [[header, value], ...]] with its bytes kept as bytes: the database
    never reads it, so nothing is turned into text and back."""
    return Binary(bson.encode({"records": [[r.topic, r.key, r.value, [list(h) for h in r.headers]] for r in records]}))


def unpacked_records(value: bytes) -> list[KafkaRecord]:
    return [
        entry_record(entry)  # written by an earlier version, as outbox entries
        if isinstance(entry, dict)
        else KafkaRecord(topic=entry[0], key=entry[1], value=entry[2], headers=[(n, v) for n, v in entry[3]])
        for entry in bson.decode(value)["records"]
    ]


def with_events(update: Document, records: Iterable[KafkaRecord]) -> Document:
    """Adds pending events to an update document (one `update_one`/`find_one_and_update`)."""
    entries = [outbox_entry(r) for r in records]
    if not entries:
        return update
    merged = {k: dict(v) for k, v in update.items()}
    merged.setdefault("$push", {})["outbox"] = {"$each": entries}
    merged.setdefault("$set", {})["outbox_pending"] = True
    return merged


def new_document_with_events(document: Document, records: Iterable[KafkaRecord]) -> Document:
    """A document to insert, carrying its first pending events."""
    entries = [outbox_entry(r) for r in records]
    return {**document, "outbox": entries, "outbox_pending": bool(entries)}


_DOCUMENT_LOCKS: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()


@contextlib.asynccontextmanager
async def document_lock(collection: str, document_id: object) -> AsyncIterator[None]:
    """Serializes this process's writes to one document.

    FerretDB 1.24 on SQLite applies an update (and findAndModify) as read, modify, write without isolation:
    two concurrent updates of one document can lose one of them, including the outbox entry a handler has
    just pushed while the relay removes the published ones. The relay holds this lock while it claims,
    publishes and trims a document; services hold it around their own updates of documents that carry an
    outbox. It does not span processes: several replicas writing the same document at once need a database
    with atomic single-document updates (MongoDB, FerretDB 2.x) or insert-based claims (unique `_id`)."""
    key = (collection, repr(document_id))
    lock = _DOCUMENT_LOCKS.get(key)
    if lock is None:
        lock = asyncio.Lock()
        _DOCUMENT_LOCKS[key] = lock
    async with lock:
        yield


def outbox_indexes(collections: Sequence[str]) -> list[CollectionIndexes]:
    return [CollectionIndexes(c, OUTBOX_INDEXES) for c in collections]


class OutboxRelay:
    """Publishes the pending events of the given collections. A writer names the document it gave events
    (`wake(collection, _id)`) and the relay publishes it at once, by `_id`. Scanning the collections for
    pending documents reads them whole on FerretDB 1.24, growing with the data, so it runs only every
    `poll_seconds` (and on an unnamed `wake()`), for events left by a crash or by another instance."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        collections: Sequence[str],
        publish: Publish,
        *,
        poll_seconds: float = 5.0,
        lease_seconds: float = 30.0,
        batch: int = 200,
        fresh_limit: int = 10_000,
    ) -> None:
        self._db = db
        self._collections = list(collections)
        self._publish = publish
        self._poll = poll_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._batch = batch
        self._owner = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._hints: set[tuple[str, Any]] = set()
        self._fresh: dict[tuple[str, Any], list[KafkaRecord]] = {}
        self._fresh_limit = fresh_limit
        self._scan_due = True

    def wake(self, collection: str | None = None, document_id: Any = None) -> None:
        """Called after a write. Naming the document lets the relay publish it by `_id` at once instead of
        scanning its collections (a full read on FerretDB 1.24); without a name the next turn scans."""
        if collection is not None and document_id is not None:
            self._hints.add((collection, document_id))
        else:
            self._scan_due = True
        self._wakeup.set()

    def leased(self, document: Document, records: Sequence[KafkaRecord]) -> Document:
        """A document to insert with its first events, leased to this relay: once the insert succeeded,
        `inserted` hands the events over. Should this process stop before publishing them, the lease
        expires and a scan (here or in another instance) publishes them from the document."""
        stored = new_document_with_events(document, records)
        if records:
            stored |= {"outbox_lease_until": datetime.now(UTC) + self._lease, "outbox_lease_owner": self._owner}
        return stored

    def inserted(self, collection: str, document_id: Any, records: Sequence[KafkaRecord]) -> None:
        """The events of a document just inserted from `leased`: published at once, from memory."""
        if not records:
            return
        if len(self._fresh) >= self._fresh_limit:  # Kafka is slow or down: once the lease expires, a scan takes them
            return
        self._fresh[(collection, document_id)] = list(records)
        self._wakeup.set()

    async def drain_fresh(self) -> int:
        """Publishes the events handed over by `inserted`, a batch at a time."""
        total = 0
        while self._fresh:
            keys = list(itertools.islice(self._fresh, self._batch))
            named: dict[str, list[tuple[Any, list[KafkaRecord]]]] = {}
            for key in keys:
                named.setdefault(key[0], []).append((key[1], self._fresh.pop(key)))
            for name, documents in named.items():
                total += await self._publish_fresh(name, documents)
        return total

    async def drain_hinted(self) -> int:
        """Publishes the documents named by `wake(collection, document_id)`, a batch at a time."""
        total = 0
        while self._hints:
            named: dict[str, list[Any]] = {}
            for name, doc_id in self._hints:
                named.setdefault(name, []).append(doc_id)
            self._hints.clear()
            for name, ids in named.items():
                for start in range(0, len(ids), self._batch):
                    total += await self._publish_batch(name, ids[start : start + self._batch])
        return total

    async def run(self) -> None:
        """Publishes named documents as soon as they are written, and scans every collection each poll
        interval for the rest (events written before a crash, by another instance, or without a name)."""
        loop = asyncio.get_running_loop()
        next_scan = loop.time()
        while not self._stopping:
            try:
                published = await self.drain_fresh()
                published += await self.drain_hinted()
                if self._scan_due or loop.time() >= next_scan:
                    self._scan_due = False
                    next_scan = loop.time() + self._poll
                    published += await self.drain_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database or Kafka is down: keep trying
                log.warning("outbox relay failed, will retry", error=str(exc))
                published = 0
            if published:
                continue
            self._wakeup.clear()
            if self._fresh or self._hints or self._scan_due:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=max(0.0, next_scan - loop.time()))

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    async def drain_once(self) -> int:
        """Publishes the events of every pending document once; returns how many were published."""
        total = 0
        for name in self._collections:
            tried: list[Any] = []
            while ids := await self._pending_ids(name, tried):
                tried.extend(ids)
                total += await self._publish_batch(name, ids)
        return total

    @staticmethod
    def _claimable(now: datetime) -> Document:
        return {"outbox_pending": True, "$or": [{"outbox_lease_until": None}, {"outbox_lease_until": {"$lt": now}}]}

    async def _pending_ids(self, collection: str, tried: list[Any]) -> list[Any]:
        """Ids of claimable documents, a batch per query: FerretDB 1.24 (SQLite) filters nothing but `_id` in
        the database, so each query reads the whole collection; one query per document made a backlog of N
        pending documents cost N full reads."""
        query = self._claimable(datetime.now(UTC))
        if tried:
            query["_id"] = {"$nin": tried}
        found = await self._db[collection].find(query, projection={"_id": 1}).limit(self._batch).to_list()
        return [doc["_id"] for doc in found]

    async def _publish_batch(self, collection: str, ids: list[Any]) -> int:
        """Claims the documents together (one update, one read), publishes each one's events in order (the
        documents side by side) and trims them together (`bulk_update`). Their writers in this process wait
        on the documents' locks meanwhile, taken in a fixed order."""
        async with contextlib.AsyncExitStack() as locks:
            for doc_id in sorted(set(ids), key=repr):
                await locks.enter_async_context(document_lock(collection, doc_id))
            docs = await self._claim(collection, ids)
            if not docs:
                return 0
            outcomes = await asyncio.gather(*(self._publish_events(collection, doc) for doc in docs))
            trims: list[UpdateOne] = []
            for doc, (sent, _) in zip(docs, outcomes, strict=True):
                trims.extend(self._trim(doc, sent))
            await bulk_update(self._db[collection], trims)
        failure = next((error for _, error in outcomes if error is not None), None)
        if failure is not None:
            raise failure
        return sum(len(sent) for sent, _ in outcomes)

    async def _publish_fresh(self, collection: str, documents: list[tuple[Any, list[KafkaRecord]]]) -> int:
        """Publishes the events of documents inserted leased to this relay, then empties their outboxes with
        one update per outbox length. That update only matches a document still leased here whose outbox
        holds just these events; another writer may have added some meanwhile, and such a document gets the
        usual trim (the published entries pulled, the rest left pending and named for the next turn)."""
        async with contextlib.AsyncExitStack() as locks:
            for doc_id in sorted({doc_id for doc_id, _ in documents}, key=repr):
                await locks.enter_async_context(document_lock(collection, doc_id))
            outcomes = await asyncio.gather(*(self._publish_records(collection, records) for _, records in documents))
            col = self._db[collection]
            mine = {"outbox_lease_owner": self._owner}
            all_sent: dict[int, list[Any]] = {}  # outbox length -> the documents whose events all went out
            partly_sent: dict[Any, list[KafkaRecord]] = {}  # document -> the events that went out
            for (doc_id, records), (sent, _) in zip(documents, outcomes, strict=True):
                if sent == len(records):
                    all_sent.setdefault(len(records), []).append(doc_id)
                else:
                    partly_sent[doc_id] = records[:sent]
            emptied = {**self._release(), "outbox": [], "outbox_pending": False}
            for length, ids in all_sent.items():
                result = await col.update_many(
                    {"_id": {"$in": ids}, **mine, "outbox": {"$size": length}}, {"$set": emptied}
                )
                if result.matched_count < len(ids):
                    # some got more events meanwhile; the emptied ones are no longer leased here: the read skips them
                    group = set(ids)
                    partly_sent |= {doc_id: records for doc_id, records in documents if doc_id in group}
            if partly_sent:
                trims: list[UpdateOne] = []
                async for doc in col.find({"_id": {"$in": list(partly_sent)}, **mine}, projection={"outbox": 1}):
                    trims.extend(self._trim(doc, [outbox_entry(r) for r in partly_sent[doc["_id"]]]))
                    self._hints.add((collection, doc["_id"]))
                await bulk_update(col, trims)
        failure = next((error for _, error in outcomes if error is not None), None)
        if failure is not None:
            raise failure
        return sum(sent for sent, _ in outcomes)

    async def _publish_records(self, collection: str, records: list[KafkaRecord]) -> tuple[int, Exception | None]:
        """How many of the records went out, in order, and the error that stopped the rest (if one did)."""
        for sent, record in enumerate(records):
            try:
                await self._publish(record)
            except Exception as exc:
                return sent, exc
            PUBLISHED.labels(collection, _event_type(record)).inc()
        return len(records), None

    @staticmethod
    def _release() -> Document:
        return {"outbox_lease_until": None, "outbox_lease_owner": None}

    async def _claim(self, collection: str, ids: list[Any]) -> list[Document]:
        now = datetime.now(UTC)
        until = now + self._lease
        lease = {"outbox_lease_until": until, "outbox_lease_owner": self._owner}
        await self._db[collection].update_many({"_id": {"$in": ids}, **self._claimable(now)}, {"$set": lease})
        return await self._db[collection].find({"_id": {"$in": ids}, **lease}).to_list()

    async def _publish_events(self, collection: str, doc: Document) -> tuple[list[Document], Exception | None]:
        """The entries sent, in order, and the error that stopped the rest (if one did)."""
        entries = doc.get("outbox") or []
        sent, error = await self._publish_records(collection, [entry_record(entry) for entry in entries])
        return entries[:sent], error

    def _trim(self, doc: Document, sent: list[Document]) -> list[UpdateOne]:
        """Releases the lease and removes what was sent."""
        release = self._release()
        mine = {"_id": doc["_id"], "outbox_lease_owner": self._owner}
        if sent and len(sent) == len(doc.get("outbox") or []):
            # Everything claimed went out, and writers of this document wait for its document_lock, held
            # here: one update empties the outbox (each update reads and rewrites the whole document).
            return [UpdateOne(mine, {"$set": {**release, "outbox_pending": False}, "$pullAll": {"outbox": sent}})]
        update: dict[str, Any] = {"$set": release}
        if sent:
            # $pullAll with the entries exactly as read: FerretDB's $pull takes no conditions.
            update["$pullAll"] = {"outbox": sent}
        return [
            UpdateOne(mine, update),
            UpdateOne({"_id": doc["_id"], "outbox": {"$size": 0}}, {"$set": {"outbox_pending": False}}),
        ]


def _event_type(record: KafkaRecord) -> str:
    return next((value.decode() for name, value in record.headers if name == "ce_type"), "")


def pending_events(doc: Document) -> list[tuple[str, dict[str, Any]]]:
    """The (type, data) of a document's unpublished events; for tests and operators."""
    return [(e["type"], json.loads(e["value"])) for e in doc.get("outbox") or []]
