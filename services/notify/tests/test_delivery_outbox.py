"""Notify's delivery outbox on the real FerretDB: outcomes recorded together share one entry, each is found
by its delivery id before and after the relay, the relay publishes every event in order and archives every
outcome, and an entry in the earlier one-outcome form is still relayed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from kho_contracts import KafkaRecord
from kho_notify.adapters.outbox import DeliveryOutbox
from kho_notify.adapters.store import DeliveryStore
from kho_platform.mongo import make_mongo_client
from kho_platform.outbox import packed_records
from kho_platform.settings import PlatformSettings


@pytest.fixture
async def store(platform_settings: PlatformSettings) -> AsyncIterator[DeliveryStore]:
    client = make_mongo_client(platform_settings)
    db = client[f"{platform_settings.database_name}_outbox_{uuid.uuid4().hex[:6]}"]
    yield DeliveryStore(db)
    for name in await db.list_collection_names():
        await db.drop_collection(name)
    await client.close()


def outcome(n: int) -> tuple[dict[str, Any], list[KafkaRecord]]:
    did = f"d-{n}"
    doc = {"_id": did, "channel": "zalo", "status": "delivered", "attempts": 1, "at": datetime.now(UTC)}
    return doc, [KafkaRecord(topic="t.deliveries", key=did.encode(), value=b'{"n": %d}' % n, headers=[])]


async def test_outcomes_recorded_together_share_one_entry_and_are_relayed_and_archived(store: DeliveryStore) -> None:
    published: list[KafkaRecord] = []

    async def publish(records: list[KafkaRecord]) -> None:
        published.extend(records)

    outbox = DeliveryOutbox(store, publish)
    await asyncio.gather(*(outbox.record(*outcome(n)) for n in range(12)))

    entries = await store.outbox.find({}).to_list()
    assert len(entries) == 1 and sorted(entries[0]["dids"]) == sorted(f"d-{n}" for n in range(12))
    pending = await store.outcome("d-7")  # found in the entry before it is relayed
    assert pending is not None and pending["status"] == "delivered" and pending["channel"] == "zalo"

    await outbox.drain()
    assert [r.value for r in published] == [b'{"n": %d}' % n for n in range(12)]
    assert await store.outbox.count_documents({}) == 0
    assert await store.deliveries.count_documents({}) == 12
    archived = await store.outcome("d-7")
    assert archived is not None and archived["status"] == "delivered" and archived["recorded_at"] is not None


async def test_an_entry_in_the_earlier_form_is_still_relayed(store: DeliveryStore) -> None:
    published: list[KafkaRecord] = []

    async def publish(records: list[KafkaRecord]) -> None:
        published.extend(records)

    doc, records = outcome(1)
    older = {**store.outcomes.pack({**doc, "recorded_at": datetime.now(UTC)}), "events": packed_records(records)}
    await store.outbox.insert_one(older)
    found = await store.outcome("d-1")
    assert found is not None and found["status"] == "delivered"

    await DeliveryOutbox(store, publish).drain()
    assert published == records
    archived = await store.outcome("d-1")
    assert archived is not None and archived["status"] == "delivered"
    assert await store.outbox.count_documents({}) == 0
