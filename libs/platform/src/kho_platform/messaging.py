"""Kafka: the FastStream broker the consumers run on, and the producer of platform events.

At-least-once end to end: the producer is idempotent with acks=all; consumers commit after their handler
finished (see consumer.py); the outbox (outbox.py) makes sure an event is published once its state is saved.

Events leave as ready-made records (topic, key, value, headers: kho_contracts.encode), so they are sent with
aiokafka directly. FastStream's publish path (a command object, its middlewares, headers decoded to text and
encoded again) cost more CPU than the send itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from aiokafka.protocol.metadata import MetadataRequest
from faststream.kafka import KafkaBroker
from kho_contracts import Event, KafkaRecord, encode, new_envelope

from kho_platform.context import current_correlation
from kho_platform.settings import PlatformSettings


def make_broker(settings: PlatformSettings) -> KafkaBroker:
    """The broker the consumers run on; records are sent by RecordPublisher."""
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=f"kho-{settings.service_name}",
        consumer_only=True,
        request_timeout_ms=15000,
        graceful_timeout=10.0,
        logger=None,
    )


class RecordPublisher:
    """Sends records and waits for the broker's acknowledgement (acks=all). Records sent concurrently go out
    in shared produce requests."""

    def __init__(self, settings: PlatformSettings) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            client_id=f"kho-{settings.service_name}",
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=15000,
            # aiokafka makes every send that finds its partition's batch full wait for it to drain, each wait
            # an asyncio.wait with a timeout: with the default 16 KB, relaying a few hundred events at once
            # cost more in those waits than in sending. The broker accepts batches up to 1 MB.
            max_batch_size=512 * 1024,
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def ping(self, topic: str) -> None:
        """Asks a broker for one topic's metadata. A probe should not ask for the whole cluster's: with
        hundreds of topics that answer costs the service tens of milliseconds of CPU to decode."""
        client = self._producer.client
        node = client.get_random_node()
        if node is None:
            raise KafkaError("no Kafka broker is known")
        await client.send(node, MetadataRequest([topic], allow_auto_topic_creation=False))

    async def publish(self, record: KafkaRecord) -> None:
        sent = await self._producer.send(record.topic, record.value, key=record.key, headers=list(record.headers))
        await sent

    async def publish_many(self, records: Sequence[KafkaRecord]) -> None:
        """Sends records in their order and waits until the broker acknowledged every one (no task per
        record: the sends only queue them, the acknowledgements are awaited together)."""
        sent = [await self._producer.send(r.topic, r.value, key=r.key, headers=list(r.headers)) for r in records]
        await asyncio.gather(*sent)


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
