"""The consumer's batch mode (Subscription.max_in_flight > 1) against the real Kafka: records handled
concurrently, records of one key in order, poison records dead-lettered, the batch committed at the end; with
several consumers of the group in one process as well."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from kho_contracts import encode, new_envelope
from kho_contracts.common import DisputeReason
from kho_contracts.events import ResultDisputed
from kho_platform.consumer import Delivery, PermanentError, Subscription, bind_subscription
from kho_platform.messaging import RecordPublisher, ensure_topics, make_broker
from kho_platform.settings import PlatformSettings

pytestmark = pytest.mark.integration


def disputed(dispute_id: str, document_id: str) -> ResultDisputed:
    return ResultDisputed(
        dispute_id=dispute_id,
        document_id=document_id,
        owner_id="052090000495",
        agency_code="H08.01",
        reason=DisputeReason.NOT_OWNERS_RESULT,
        opened_at=datetime.now(UTC),
        deadline=date(2026, 12, 1),
    )


async def group_members(settings: PlatformSettings, group_id: str) -> int:
    """How many consumers the broker counts in the group (each is assigned some of the partitions)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group_id])
        (group,) = response.groups
        return len(group[5])  # (error_code, group_id, state, protocol_type, protocol, members, ...)
    finally:
        await admin.close()


@pytest.mark.parametrize("consumers", [1, 3])
async def test_batches_run_concurrently_keep_per_key_order_and_dead_letter(
    platform_settings: PlatformSettings, consumers: int
) -> None:
    settings = platform_settings.model_copy(
        update={"kafka_topic_prefix": f"{platform_settings.kafka_topic_prefix}{uuid.uuid4().hex[:6]}."}
    )
    subscription = Subscription("batched", max_in_flight=100, consumers=consumers)
    seen: dict[str, list[int]] = {}
    running = 0
    most_running = 0

    @subscription.on(ResultDisputed)
    async def record(deps: Any, delivery: Delivery) -> None:
        nonlocal running, most_running
        event = delivery.event
        assert isinstance(event, ResultDisputed)
        assert delivery.record is not None and delivery.record.value
        if event.document_id == "poison":
            raise PermanentError("never")
        running += 1
        most_running = max(most_running, running)
        await asyncio.sleep(0.01)
        running -= 1
        seen.setdefault(event.dispute_id, []).append(int(event.document_id))

    broker = make_broker(settings)
    publisher = RecordPublisher(settings)
    bind_subscription(broker, subscription, settings, deps=None, publish=publisher.publish)
    topic = f"{settings.kafka_topic_prefix}kho.feedback.disputes"
    dlq = f"{settings.kafka_topic_prefix}kho.dlq.platformtest"
    await ensure_topics(settings, [topic, dlq])
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        sends = []
        for n in range(5):  # five events for each of twenty disputes: each dispute's events in order
            for d in range(20):
                event = disputed(f"d{d}", str(n))
                r = encode(event, new_envelope(event, source="/t"))
                sends.append(await producer.send(topic, r.value, key=r.key, headers=r.headers))
        poison = disputed("p", "poison")
        r = encode(poison, new_envelope(poison, source="/t"))
        sends.append(await producer.send(topic, r.value, key=r.key, headers=r.headers))
        await asyncio.gather(*sends)
        await publisher.start()
        await broker.start()
        async with asyncio.timeout(30):
            while sum(len(v) for v in seen.values()) < 100:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # nothing more arrives: every record handled exactly once, in key order
        assert all(order == [0, 1, 2, 3, 4] for order in seen.values()), seen
        assert most_running > 1
        assert await group_members(settings, f"{settings.kafka_topic_prefix}platformtest.batched") == consumers

        reader = AIOKafkaConsumer(
            dlq, bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest", group_id=uuid.uuid4().hex
        )
        await reader.start()
        try:
            dead = await asyncio.wait_for(reader.getone(), 20)
        finally:
            await reader.stop()
        assert dict(dead.headers)["x-dlq-reason"].startswith(b"rejected by handler")
    finally:
        await broker.stop()
        await publisher.stop()
        await producer.stop()
