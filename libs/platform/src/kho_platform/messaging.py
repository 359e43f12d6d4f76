"""Kafka through FastStream: the broker factory and publishing of platform events.

At-least-once end to end: the producer is idempotent with acks=all; consumers commit after their handler
finished (see consumer.py); the outbox (outbox.py) makes sure an event is published once its state is saved.
"""

from __future__ import annotations

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from kho_contracts import Event, KafkaRecord, encode, new_envelope

from kho_platform.context import current_correlation
from kho_platform.settings import PlatformSettings


def make_broker(settings: PlatformSettings) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=f"kho-{settings.service_name}",
        enable_idempotence=True,
        acks="all",
        request_timeout_ms=15000,
        graceful_timeout=10.0,
        logger=None,
    )


async def publish_record(broker: KafkaBroker, record: KafkaRecord) -> None:
    """Sends one record and waits for the broker's acknowledgement (acks=all)."""
    await broker.publish(
        record.value,
        record.topic,
        key=record.key,
        headers={name: value.decode() for name, value in record.headers},
        no_confirm=False,
    )


def record_for(event: Event, settings: PlatformSettings, *, event_id: str | None = None) -> KafkaRecord:
    """A record for an event produced now, correlated with the work in progress."""
    corr = current_correlation()
    envelope = new_envelope(
        event,
        source=f"/kho/{settings.service_name}",
        correlation_id=corr.correlation_id,
        causation_id=corr.causation_id,
        event_id=event_id,
    )
    return encode(event, envelope, topic_prefix=settings.kafka_topic_prefix)


async def ensure_topics(settings: PlatformSettings, topics: list[str]) -> None:
    """Creates the topics a service reads and writes, so that consumers are assigned their partitions at once
    (and clusters may run with automatic topic creation switched off)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name, num_partitions=settings.kafka_partitions, replication_factor=settings.kafka_replication_factor
            )
            for name in sorted(set(topics) - existing)
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):  # another replica created it meanwhile
                await admin.create_topics(wanted)
    finally:
        await admin.close()
