"""The outbox relay and writers of the same document in one process lose no event on FerretDB 1.24, whose
single-document updates are not isolated, because both take `document_lock`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from kho_contracts.common import DisputeReason
from kho_contracts.events import ResultDisputed
from kho_platform.messaging import record_for
from kho_platform.mongo import make_mongo_client
from kho_platform.outbox import OutboxRelay, document_lock, entry_record, new_document_with_events, with_events
from kho_platform.settings import PlatformSettings

pytestmark = pytest.mark.integration


def event(n: int) -> ResultDisputed:
    return ResultDisputed(
        dispute_id="agg-lock",
        document_id=f"doc-{n}",
        owner_id="001099000123",
        agency_code="H08.01",
        reason=DisputeReason.NOT_OWNERS_RESULT,
        opened_at=datetime.now(UTC),
        deadline=date(2026, 12, 1),
    )


@pytest.fixture
async def db(platform_settings: PlatformSettings) -> AsyncIterator[Any]:
    client = make_mongo_client(platform_settings)
    yield client[platform_settings.database_name]
    await client.close()


async def test_events_pushed_while_the_relay_publishes_are_all_published(
    platform_settings: PlatformSettings, db: Any
) -> None:
    col = db[f"lock_{uuid.uuid4().hex[:6]}"]
    await col.insert_one(new_document_with_events({"_id": "agg-lock"}, [record_for(event(0), platform_settings)]))
    published: list[str] = []

    async def slow_publish(record: Any) -> None:
        await asyncio.sleep(0.005)  # a real publish takes a while: writers come in meanwhile
        published.append(dict(record.headers)["ce_id"].decode())

    relay = OutboxRelay(db, [col.name], slow_publish, poll_seconds=0.01)
    written: list[str] = [
        dict(entry_record((await col.find_one({"_id": "agg-lock"}))["outbox"][0]).headers)["ce_id"].decode()
    ]

    async def writer(n: int) -> None:
        record = record_for(event(n), platform_settings)
        written.append(dict(record.headers)["ce_id"].decode())
        async with document_lock(col.name, "agg-lock"):
            await col.update_one({"_id": "agg-lock"}, with_events({"$inc": {"writes": 1}}, [record]))
        relay.wake()

    running = asyncio.create_task(relay.run())
    try:
        await asyncio.gather(*(writer(n) for n in range(1, 31)))
        async with asyncio.timeout(20):
            while len(set(published)) < len(written):
                await asyncio.sleep(0.05)
    finally:
        relay.stop()
        await running
    stored = await col.find_one({"_id": "agg-lock"})
    assert stored["writes"] == 30  # no update lost
    assert sorted(set(published)) == sorted(written)  # no event lost
    assert stored["outbox"] == []
