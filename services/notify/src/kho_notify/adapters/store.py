"""The service's records in its own database, shaped for FerretDB 1.24.

Measured on FerretDB 1.24 with SQLite: inserts and reads by `_id` stay fast at any size; an update, a delete
or a query on any other field scans the whole collection (secondary indexes are not used). So:

* the notification of an event to one recipient is its in-app inbox message (inbox.py), which also records
  the channel plan and which instance made it; `claims` (who started a delivery on a channel, beyond the
  first try on the first channel, which the notification itself claims) and `deliveries` (the final outcome
  of each delivery) only ever grow by inserts and are read by `_id`, every id being derived from the event
  id;
* `delivery_outbox` holds outcomes with their NotificationDelivered/Failed events until they are published,
  several to an entry: it stays small, so the relay may scan and delete in it, and an outcome not yet
  published is found there by a query on the entries' list of delivery ids (outbox.py);
* `instances` holds a heartbeat per running replica (a handful of documents, updated in place).

Every record but the heartbeats is stored packed (kho_platform.packing): FerretDB converts each field of a
document on every write and read, and most fields here are never filtered on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import bson
from kho_platform.grouped import GroupInsert
from kho_platform.mongo import CollectionIndexes, Document
from kho_platform.packing import Packing
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

CLAIMS = "claims"
DELIVERIES = "deliveries"
DELIVERY_OUTBOX = "delivery_outbox"
INSTANCES = "instances"
HANDLED_EVENTS = "handled_events"
ENTRY_OUTCOMES = "outcomes"  # in a delivery outbox entry: its outcomes, packed

INDEXES = (
    CollectionIndexes(CLAIMS),
    CollectionIndexes(DELIVERIES, (IndexModel([("status", ASCENDING)], name="status"),)),
    CollectionIndexes(DELIVERY_OUTBOX),
    CollectionIndexes(INSTANCES),
    CollectionIndexes(HANDLED_EVENTS),
)


class DeliveryStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db
        self.records = Packing((), db.codec_options)  # claims, handled events
        self.outcomes = Packing(("channel", "status", "recorded_at"), db.codec_options)  # outbox, deliveries
        self.claims = db[CLAIMS]
        self.deliveries = db[DELIVERIES]
        self.outbox = db[DELIVERY_OUTBOX]
        self.instances = db[INSTANCES]
        self.handled = db[HANDLED_EVENTS]
        self._insert_claim = GroupInsert(self.claims, linger=0.005)
        self._insert_handled = GroupInsert(self.handled, linger=0.005)

    async def record_handled(self, event_id: str, event_type: str, notification_ids: list[str]) -> None:
        await self._insert_handled.insert(
            self.records.pack(
                {"_id": event_id, "type": event_type, "notifications": notification_ids, "at": datetime.now(UTC)}
            )
        )

    async def handled_event(self, event_id: str) -> Document | None:
        return self.records.unpack_found(await self.handled.find_one({"_id": event_id}))

    async def claim(self, delivery_id: str, generation: int, owner: str) -> bool:
        return await self._insert_claim.insert(
            self.records.pack(
                {
                    "_id": f"{delivery_id}#{generation}",
                    "delivery_id": delivery_id,
                    "generation": generation,
                    "owner": owner,
                    "claimed_at": datetime.now(UTC),
                }
            )
        )

    async def latest_claim(self, delivery_id: str, first: Document | None = None) -> Document | None:
        """The claim of the delivery's latest try. `first` is its first claim when that is not stored here
        (the first channel's first try is claimed by the notification itself)."""
        latest = first
        generation = 0 if first is None else 1
        while (found := await self.claims.find_one({"_id": f"{delivery_id}#{generation}"})) is not None:
            latest = found
            generation += 1
        return self.records.unpack_found(latest)

    async def outcome(self, delivery_id: str) -> Document | None:
        """The recorded outcome of a delivery, published or not yet."""
        entry = await self.outbox.find_one({"dids": delivery_id}, projection={"events": 0})  # a small collection
        if entry is None:
            entry = await self.outbox.find_one({"_id": delivery_id}, projection={"events": 0})  # (older entries)
        if entry is not None:
            return next((o for o in self.entry_outcomes(entry) if o["_id"] == delivery_id), None)
        return self.outcomes.unpack_found(await self.deliveries.find_one({"_id": delivery_id}))

    def entry_archive(self, entry: Document) -> list[Document]:
        """The outcomes a delivery outbox entry holds (outbox.py), in their stored form. An entry written by an
        earlier version is one stored outcome with its events."""
        if ENTRY_OUTCOMES in entry:
            return list(bson.decode(entry[ENTRY_OUTCOMES], codec_options=self.db.codec_options)["o"])
        return [{k: v for k, v in entry.items() if k != "events"}]

    def entry_outcomes(self, entry: Document) -> list[Document]:
        return [self.outcomes.unpack(stored) for stored in self.entry_archive(entry)]

    # --- replicas' heartbeats -----------------------------------------------------------------------
    async def heartbeat(self, instance_id: str) -> None:
        update = {"$set": {"seen_at": datetime.now(UTC)}}
        try:
            await self.instances.update_one({"_id": instance_id}, update, upsert=True)
        except DuplicateKeyError:  # two first beats raced to insert it: it exists now
            await self.instances.update_one({"_id": instance_id}, update)

    async def is_alive(self, instance_id: str, dead_after: float) -> bool:
        found = await self.instances.find_one({"_id": instance_id})
        if found is None:
            return False
        seen: datetime = found["seen_at"]
        return seen > datetime.now(UTC) - timedelta(seconds=dead_after)

    async def forget_instances_older_than(self, seconds: float) -> None:
        await self.instances.delete_many({"seen_at": {"$lt": datetime.now(UTC) - timedelta(seconds=seconds)}})


def public_outcome(doc: Document) -> dict[str, Any]:
    keys = ("channel", "status", "attempts", "provider_message_id", "reason", "recorded_at")
    return {"delivery_id": doc["_id"], **{k: doc.get(k) for k in keys}}
