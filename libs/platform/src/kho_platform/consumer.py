"""Consuming platform events: decoding, bounded retries, the dead-letter topic and idempotency.

Each service declares its handlers per event type. A message is committed only after its handler finished
(FastStream's NACK_ON_ERROR: an exception seeks back and the message comes again). What can never be
processed (not JSON, not a CloudEvent, an unknown type, a body that does not match its schema, a handler
that keeps failing) goes to the service's dead-letter topic with the original key, value and headers and
the reason, and the consumer goes on with the next message.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from kho_contracts import Envelope, EnvelopeError, Event, KafkaRecord, decode
from kho_contracts.topics import dead_letter_topic
from prometheus_client import Counter, Histogram
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from kho_platform.context import correlated
from kho_platform.logging import get_logger
from kho_platform.mongo import CollectionIndexes, Document
from kho_platform.settings import PlatformSettings

log = get_logger(__name__)

HANDLED = Counter("kho_events_handled_total", "Events handled", ["consumer", "type", "outcome"])
HANDLER_SECONDS = Histogram("kho_event_handler_seconds", "Time spent in event handlers", ["consumer", "type"])


class PermanentError(Exception):
    """The event can never be processed as it is (it refers to something that does not exist, breaks a rule):
    it goes to the dead-letter topic at once, without retries."""


@dataclass(frozen=True)
class Delivery:
    """One received event with its envelope and where it came from."""

    envelope: Envelope
    event: Event
    topic: str
    partition: int
    offset: int
    record: ConsumerRecord[Any, Any] | None = None
    """The Kafka record as received (key, value and headers byte for byte), e.g. for a handler's own dead
    letters."""


Handler = Callable[[Any, Delivery], Awaitable[None]]


@dataclass
class Subscription:
    """A consumer group reading some topics, with a handler per event type it cares about. Known event types
    without a handler are skipped (a topic carries several types); unknown types are dead-lettered."""

    name: str
    handlers: dict[type[Event], Handler] = field(default_factory=dict)
    max_in_flight: int = 1
    """1: one record at a time. More: the consumer reads batches of up to this many records and handles them
    concurrently (records with the same topic, partition and key one after the other, in order); the batch is
    committed once every record of it is done, so a crash redelivers the whole batch (handlers are
    idempotent)."""
    batch_timeout_ms: int = 20
    """With max_in_flight > 1: how long the consumer waits for records when none are buffered."""
    consumers: int = 1
    """With max_in_flight > 1: how many consumers of the group this instance runs. Each is assigned some of
    the partitions and reads its next batch while the others are still handling theirs, so one slow record
    holds back only the partitions of its own consumer."""

    def on(self, event_type: type[Event]) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.handlers[event_type] = fn
            return fn

        return register

    @property
    def topics(self) -> list[str]:
        return sorted({cls.TOPIC for cls in self.handlers})

    @property
    def event_types(self) -> list[type[Event]]:
        return list(self.handlers)


def dead_letter_record(record: ConsumerRecord[Any, Any], reason: str, consumer: str, dlq_topic: str) -> KafkaRecord:
    headers = [(k, v if isinstance(v, bytes) else str(v).encode()) for k, v in (record.headers or ())]
    headers += [
        ("x-dlq-reason", reason.encode()[:2000]),
        ("x-dlq-consumer", consumer.encode()),
        ("x-dlq-original-topic", record.topic.encode()),
        ("x-dlq-original-partition", str(record.partition).encode()),
        ("x-dlq-original-offset", str(record.offset).encode()),
        ("x-dlq-time", datetime.now(UTC).isoformat().encode()),
    ]
    return KafkaRecord(topic=dlq_topic, key=record.key or b"", value=record.value or b"", headers=headers)


def bind_subscription(
    broker: KafkaBroker,
    subscription: Subscription,
    settings: PlatformSettings,
    *,
    deps: Any,
    publish: Callable[[KafkaRecord], Awaitable[None]],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Registers the subscription on the broker (before the broker starts). The consumer group carries the
    topic prefix: deployments (or test runs) that share a Kafka cluster under different prefixes never join
    each other's groups (a shared group would rebalance every time any of them starts or stops)."""
    consumer = f"{settings.service_name}.{subscription.name}"
    dlq = f"{settings.kafka_topic_prefix}{dead_letter_topic(settings.service_name)}"
    topics = [f"{settings.kafka_topic_prefix}{t}" for t in subscription.topics]

    async def to_dead_letter(record: ConsumerRecord[Any, Any], reason: str) -> None:
        log.error("event dead-lettered", consumer=consumer, topic=record.topic, offset=record.offset, reason=reason)
        await publish(dead_letter_record(record, reason, consumer, dlq))

    @functools.cache
    def metrics_of(event_type: str) -> tuple[Any, Any]:
        """The metric children of handled events of one type (looking them up per event cost a lock each)."""
        return HANDLER_SECONDS.labels(consumer, event_type), HANDLED.labels(consumer, event_type, "ok")

    async def process(record: ConsumerRecord[Any, Any]) -> None:
        try:
            envelope, event = decode(record.headers or (), record.value or b"")
        except EnvelopeError as exc:
            HANDLED.labels(consumer, "invalid", "dead_lettered").inc()
            await to_dead_letter(record, exc.reason)
            return
        handler = subscription.handlers.get(type(event))
        if handler is None:
            HANDLED.labels(consumer, envelope.type, "skipped").inc()
            return
        delivery = Delivery(envelope, event, record.topic, record.partition, record.offset, record)
        with correlated(envelope.correlationid, causation_id=envelope.id):
            for attempt in range(1, settings.kafka_max_attempts + 1):
                started = time.perf_counter()
                try:
                    await handler(deps, delivery)
                except PermanentError as exc:
                    HANDLED.labels(consumer, envelope.type, "dead_lettered").inc()
                    await to_dead_letter(record, f"rejected by handler: {exc}")
                    return
                except Exception as exc:
                    if attempt == settings.kafka_max_attempts:
                        HANDLED.labels(consumer, envelope.type, "dead_lettered").inc()
                        await to_dead_letter(
                            record, f"handler failed after {attempt} attempts: {type(exc).__name__}: {exc}"
                        )
                        return
                    log.warning("event handler failed, retrying", consumer=consumer, attempt=attempt, error=str(exc))
                    await sleep(settings.kafka_retry_backoff_seconds * 2 ** (attempt - 1))
                else:
                    seconds, handled = metrics_of(envelope.type)
                    seconds.observe(time.perf_counter() - started)
                    handled.inc()
                    return

    async def on_message(message: KafkaMessage) -> None:
        record: ConsumerRecord[Any, Any] = message.raw_message  # type: ignore[assignment]
        await process(record)

    async def on_batch(message: KafkaMessage) -> None:
        records: tuple[ConsumerRecord[Any, Any], ...] = message.raw_message  # type: ignore[assignment]
        in_order: dict[tuple[str, int, Any], list[ConsumerRecord[Any, Any]]] = {}
        for record in records:
            in_order.setdefault((record.topic, record.partition, record.key), []).append(record)

        async def one_after_the_other(group: list[ConsumerRecord[Any, Any]]) -> None:
            for record in group:
                await process(record)

        async with asyncio.TaskGroup() as tasks:
            for group in in_order.values():
                tasks.create_task(one_after_the_other(group))

    if subscription.max_in_flight > 1:
        for n in range(subscription.consumers):
            broker.subscriber(
                *topics,
                batch=True,
                max_records=subscription.max_in_flight,
                batch_timeout_ms=subscription.batch_timeout_ms,
                decoder=_undecoded,
                group_id=f"{settings.kafka_topic_prefix}{consumer}",
                fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
                ack_policy=AckPolicy.NACK_ON_ERROR,
                auto_offset_reset="earliest",
                title=consumer if n == 0 else f"{consumer}#{n + 1}",
                description=", ".join(cls.TYPE for cls in subscription.event_types),
                include_in_schema=n == 0,
            )(on_batch)
        return

    broker.subscriber(
        *topics,
        decoder=_undecoded,
        group_id=f"{settings.kafka_topic_prefix}{consumer}",
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        title=consumer,
        description=", ".join(cls.TYPE for cls in subscription.event_types),
    )(on_message)


async def _undecoded(message: Any) -> Any:
    """The body is decoded by `decode` above, which turns bad input into a dead letter; FastStream's own
    decoder would raise on a body that is not JSON and redeliver it forever."""
    return message.body


# --- Idempotent consumers -------------------------------------------------------------------------------
#
# Two ways, both atomic on one document:
# * the effect updates an existing document: put `{"applied_events": {"$ne": event_id}}` in the filter and
#   `{"$addToSet": {"applied_events": event_id}}` in the update (see `once_filter` / `once_update`);
# * the effect creates a document: derive its `_id` from the event id, and a duplicate key means "done".
# ProcessedEvents records events whose effects are themselves repeatable (for example publishing).

APPLIED = "applied_events"


def once_filter(filter_: Document, event_id: str) -> Document:
    return {**filter_, APPLIED: {"$ne": event_id}}


def once_update(update: Document, event_id: str) -> Document:
    merged = {k: dict(v) for k, v in update.items()}
    merged.setdefault("$addToSet", {})[APPLIED] = event_id
    return merged


class ProcessedEvents:
    """A record of the events a consumer has finished, keyed by (consumer, event id)."""

    COLLECTION = "processed_events"

    def __init__(self, db: AsyncDatabase[Document], consumer: str) -> None:
        self._col = db[self.COLLECTION]
        self._consumer = consumer

    @classmethod
    def indexes(cls) -> list[CollectionIndexes]:
        return [CollectionIndexes(cls.COLLECTION, (IndexModel([("processed_at", ASCENDING)], name="processed_at"),))]

    def _id(self, event_id: str) -> str:
        return f"{self._consumer}:{event_id}"

    async def seen(self, event_id: str) -> bool:
        return await self._col.find_one({"_id": self._id(event_id)}, projection={"_id": 1}) is not None

    async def mark(self, event_id: str) -> bool:
        """Records the event; False when it was already recorded."""
        try:
            await self._col.insert_one({"_id": self._id(event_id), "processed_at": datetime.now(UTC)})
        except DuplicateKeyError:
            return False
        return True
