"""The outbox relay and the consumer plumbing against the real Kafka and FerretDB."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from kho_contracts import KafkaRecord, decode, encode, new_envelope
from kho_contracts.common import DisputeReason
from kho_contracts.events import DisputeOverdue, ResultDisputed
from kho_platform.consumer import Delivery, PermanentError, Subscription, bind_subscription, once_filter, once_update
from kho_platform.messaging import RecordPublisher, ensure_topics, make_broker, record_for
from kho_platform.mongo import make_mongo_client
from kho_platform.outbox import OutboxRelay, Publish, new_document_with_events, with_events
from kho_platform.settings import PlatformSettings
from kho_platform.testing import read_records

pytestmark = pytest.mark.integration


def recording() -> tuple[list[KafkaRecord], Publish]:
    """A publish that keeps what it is given, and the list it keeps it in."""
    sent: list[KafkaRecord] = []

    async def publish(record: KafkaRecord) -> None:
        sent.append(record)

    return sent, publish


def disputed(dispute_id: str, document_id: str = "doc-1") -> ResultDisputed:
    return ResultDisputed(
        dispute_id=dispute_id,
        document_id=document_id,
        owner_id="052090000495",
        agency_code="H08.01",
        reason=DisputeReason.NOT_OWNERS_RESULT,
        opened_at=datetime.now(UTC),
        deadline=date(2026, 12, 1),
    )


async def read_topic(settings: PlatformSettings, topic: str, count: int, timeout: float = 20.0) -> list[Any]:
    return await read_records(settings.kafka_bootstrap, f"{settings.kafka_topic_prefix}{topic}", count, within=timeout)


@pytest.fixture
async def settings(platform_settings: PlatformSettings) -> PlatformSettings:
    # A topic prefix per test: each test reads its topics from the beginning.
    return platform_settings.model_copy(
        update={"kafka_topic_prefix": f"{platform_settings.kafka_topic_prefix}{uuid.uuid4().hex[:6]}."}
    )


@pytest.fixture
async def db(settings: PlatformSettings) -> AsyncIterator[Any]:
    client = make_mongo_client(settings)
    yield client[settings.database_name]
    await client.close()


async def test_outbox_relay_publishes_each_pending_event_in_order_then_forgets_it(settings, db) -> None:  # type: ignore[no-untyped-def]
    col = db[f"agg_{uuid.uuid4().hex[:6]}"]
    publisher = RecordPublisher(settings)
    await publisher.start()
    try:
        first = record_for(disputed("agg-1"), settings)
        await col.insert_one(new_document_with_events({"_id": "agg-1", "version": 1}, [first]))
        second = record_for(
            DisputeOverdue(dispute_id="agg-1", document_id="doc-1", owner_id="052090000495", agency_code="H08.01",
                           deadline=date(2026, 12, 1), escalated_to_role="supervisor"),
            settings,
        )  # fmt: skip
        result = await col.update_one({"_id": "agg-1", "version": 1}, with_events({"$set": {"version": 2}}, [second]))
        assert result.modified_count == 1

        relay = OutboxRelay(db, [col.name], publisher.publish)
        assert await relay.drain_once() == 2
        assert await relay.drain_once() == 0
        stored = await col.find_one({"_id": "agg-1"})
        assert stored["outbox"] == [] and stored["outbox_pending"] is False and stored["version"] == 2

        records = await read_topic(settings, "kho.feedback.disputes", 2)
        assert [dict(r.headers)["ce_id"].decode() for r in records] == [
            dict(first.headers)["ce_id"].decode(),
            dict(second.headers)["ce_id"].decode(),
        ]
        assert all(r.key == b"agg-1" for r in records)
        envelope, event = decode(records[0].headers, records[0].value)
        assert isinstance(event, ResultDisputed) and envelope.source == "/kho/platformtest"
    finally:
        await publisher.stop()


async def test_a_relay_crash_before_forgetting_publishes_again_never_loses(settings, db) -> None:  # type: ignore[no-untyped-def]
    col = db[f"agg_{uuid.uuid4().hex[:6]}"]
    record = record_for(disputed("agg-2"), settings)
    await col.insert_one(new_document_with_events({"_id": "agg-2"}, [record]))
    sent: list[Any] = []

    async def publish_then_die(r: Any) -> None:
        sent.append(r)
        raise ConnectionError("broker went away")

    failing = OutboxRelay(db, [col.name], publish_then_die)
    with pytest.raises(ConnectionError):
        await failing.drain_once()
    assert (await col.find_one({"_id": "agg-2"}))["outbox_pending"] is True  # nothing forgotten

    delivered, publish = recording()

    assert await OutboxRelay(db, [col.name], publish).drain_once() == 1
    assert delivered[0].value == record.value


async def test_a_leased_document_is_not_published_by_a_second_relay(settings, db) -> None:  # type: ignore[no-untyped-def]
    col = db[f"agg_{uuid.uuid4().hex[:6]}"]
    await col.insert_one(new_document_with_events({"_id": "agg-3"}, [record_for(disputed("agg-3"), settings)]))
    gate = asyncio.Event()
    published: list[str] = []

    async def slow(r: Any) -> None:
        published.append("slow")
        await gate.wait()

    async def fast(r: Any) -> None:
        published.append("fast")

    slow_relay = OutboxRelay(db, [col.name], slow)
    task = asyncio.create_task(slow_relay.drain_once())
    while not published:
        await asyncio.sleep(0.01)
    assert await OutboxRelay(db, [col.name], fast).drain_once() == 0
    gate.set()
    assert await task == 1
    assert published == ["slow"]


async def test_consumer_dead_letters_poison_messages_and_applies_each_event_once(settings, db) -> None:  # type: ignore[no-untyped-def]
    effects = db[f"effects_{uuid.uuid4().hex[:6]}"]
    await effects.insert_one({"_id": "counter", "n": 0})
    subscription = Subscription("counter")
    attempts: dict[str, int] = {}

    @subscription.on(ResultDisputed)
    async def count(deps: Any, delivery: Delivery) -> None:
        event = delivery.event
        assert isinstance(event, ResultDisputed)
        attempts[event.dispute_id] = attempts.get(event.dispute_id, 0) + 1
        if event.document_id == "poison":
            raise PermanentError("document does not exist")
        if event.document_id == "flaky" and attempts[event.dispute_id] < 2:
            raise RuntimeError("database hiccup")
        if event.document_id == "broken":
            raise RuntimeError("always failing")
        await deps.update_one(
            once_filter({"_id": "counter"}, delivery.envelope.id), once_update({"$inc": {"n": 1}}, delivery.envelope.id)
        )

    fast_retry = settings.model_copy(update={"kafka_retry_backoff_seconds": 0.01})
    broker = make_broker(fast_retry)
    publisher = RecordPublisher(fast_retry)
    bind_subscription(broker, subscription, fast_retry, deps=effects, publish=publisher.publish)
    topic = f"{settings.kafka_topic_prefix}kho.feedback.disputes"
    await ensure_topics(settings, [topic, f"{settings.kafka_topic_prefix}kho.dlq.platformtest"])
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    await publisher.start()
    await broker.start()
    try:
        good = disputed("ok-1")
        good_record = encode(good, new_envelope(good, source="/t"))
        # The same event delivered twice (same ce_id), a flaky one, a poison one, garbage, an unknown type.
        for rec in (good_record, good_record):
            await producer.send_and_wait(topic, rec.value, key=rec.key, headers=rec.headers)
        for ev in (disputed("flaky-1", "flaky"), disputed("poison-1", "poison"), disputed("broken-1", "broken")):
            r = encode(ev, new_envelope(ev, source="/t"))
            await producer.send_and_wait(topic, r.value, key=r.key, headers=r.headers)
        await producer.send_and_wait(topic, b"\xff not json", key=b"x", headers=good_record.headers)
        unknown = [(k, b"vn.gov.kho.unknown.thing.v1" if k == "ce_type" else v) for k, v in good_record.headers]
        await producer.send_and_wait(topic, good_record.value, key=b"y", headers=unknown)
        last = disputed("ok-2")
        r = encode(last, new_envelope(last, source="/t"))
        await producer.send_and_wait(topic, r.value, key=r.key, headers=r.headers)

        dead = await read_topic(settings, "kho.dlq.platformtest", 4)
        reasons = sorted(dict(d.headers)["x-dlq-reason"].decode().split(":")[0] for d in dead)
        assert len(dead) == 4, reasons
        assert reasons == sorted(
            [
                "body is not valid JSON",
                "handler failed after 3 attempts",
                "rejected by handler",
                "unknown event type vn.gov.kho.unknown.thing.v1",
            ]
        )
        for d in dead:
            assert dict(d.headers)["x-dlq-original-topic"].decode() == topic
            assert dict(d.headers)["ce_id"]  # the original headers are kept
        poison = next(d for d in dead if dict(d.headers)["x-dlq-reason"].startswith(b"rejected"))
        assert json.loads(poison.value)["dispute_id"] == "poison-1"

        async with asyncio.timeout(20):
            while (await effects.find_one({"_id": "counter"}))["n"] < 3:
                await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        doc = await effects.find_one({"_id": "counter"})
        assert doc["n"] == 3  # ok-1 once despite two deliveries, flaky-1 after a retry, ok-2
        assert attempts["flaky-1"] == 2 and attempts["poison-1"] == 1 and attempts["broken-1"] == 3
    finally:
        await broker.stop()
        await publisher.stop()
        await producer.stop()


async def test_a_named_wake_publishes_at_once_without_waiting_for_the_next_scan(settings, db) -> None:  # type: ignore[no-untyped-def]
    col = db[f"agg_{uuid.uuid4().hex[:6]}"]
    published, publish = recording()

    relay = OutboxRelay(db, [col.name], publish, poll_seconds=3600)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.3)  # the first scan is done; the next one is an hour away
        await col.insert_one(new_document_with_events({"_id": "agg-h"}, [record_for(disputed("agg-h"), settings)]))
        await asyncio.sleep(0.5)
        assert published == []  # nothing scans in the meantime
        relay.wake(col.name, "agg-h")
        async with asyncio.timeout(5):
            while not published:
                await asyncio.sleep(0.02)
        assert (await col.find_one({"_id": "agg-h"}))["outbox"] == []
    finally:
        relay.stop()
        await task


async def test_a_batch_trims_each_document_by_what_it_sent(settings, db) -> None:  # type: ignore[no-untyped-def]
    col = db[f"agg_{uuid.uuid4().hex[:6]}"]
    ids = ["agg-b1", "agg-b2", "agg-b3"]
    records = {i: [record_for(disputed(i), settings), record_for(disputed(i), settings)] for i in ids}
    await col.insert_many([new_document_with_events({"_id": i}, records[i]) for i in ids])
    doomed = records["agg-b2"][1].value  # the second event of one document cannot be sent
    sent: list[Any] = []

    async def publish(r: Any) -> None:
        if r.value == doomed:
            raise ConnectionError("broker went away")
        sent.append(r)

    relay = OutboxRelay(db, [col.name], publish, poll_seconds=3600)
    for i in ids:
        relay.wake(col.name, i)
    with pytest.raises(ConnectionError):
        await relay.drain_hinted()
    stored = {d["_id"]: d async for d in col.find({})}
    for i in ("agg-b1", "agg-b3"):
        assert stored[i]["outbox"] == [] and stored[i]["outbox_pending"] is False
    assert [e["value"] for e in stored["agg-b2"]["outbox"]] == [doomed.decode()]
    assert stored["agg-b2"]["outbox_pending"] is True and stored["agg-b2"]["outbox_lease_owner"] is None
    assert len(sent) == 5

    async def publish_all(r: Any) -> None:
        sent.append(r)

    assert await OutboxRelay(db, [col.name], publish_all).drain_once() == 1
    assert sent[-1].value == doomed
    assert (await col.find_one({"_id": "agg-b2"}))["outbox_pending"] is False


async def test_a_relay_batch_larger_than_ferretdbs_connection_pool_is_trimmed_without_wedging_it(  # type: ignore[no-untyped-def]
    settings, db
) -> None:
    """One update command of 150 statements took all of FerretDB 1.24's 100 PostgreSQL connections and hung
    every client of the server; the relay's trims go a few statements per command."""
    col = db[f"agg_{uuid.uuid4().hex[:6]}"]
    ids = [f"agg-big-{i:03d}" for i in range(150)]
    record = record_for(disputed("agg-big"), settings)
    await col.insert_many([new_document_with_events({"_id": i}, [record]) for i in ids])
    sent, publish = recording()

    relay = OutboxRelay(db, [col.name], publish, batch=200)
    assert await asyncio.wait_for(relay.drain_once(), 30) == 150
    assert len(sent) == 150
    assert await asyncio.wait_for(col.count_documents({"outbox_pending": True}), 10) == 0


async def test_inserted_documents_are_published_from_memory_and_emptied_together(settings, db) -> None:  # type: ignore[no-untyped-def]
    """A document inserted leased to the relay needs no claim: its events go out from memory, in order, and
    one update per outbox length empties the whole batch (150 documents: no update command of many
    statements, which wedged FerretDB 1.24)."""
    col = db[f"agg_{uuid.uuid4().hex[:6]}"]
    sent, publish = recording()

    relay = OutboxRelay(db, [col.name], publish, batch=200)
    events = {f"agg-f{i:03d}": [record_for(disputed(f"agg-f{i:03d}"), settings) for _ in range(1 + i % 2)]
              for i in range(150)}  # fmt: skip
    await col.insert_many([relay.leased({"_id": i}, records) for i, records in events.items()])
    assert await OutboxRelay(db, [col.name], publish).drain_once() == 0  # leased: no other relay takes them
    for i, records in events.items():
        relay.inserted(col.name, i, records)
    assert await asyncio.wait_for(relay.drain_fresh(), 30) == 225
    assert [r.value for r in sent] == [r.value for records in events.values() for r in records]
    stored = [d async for d in col.find({})]
    assert len(stored) == 150
    assert all(d["outbox"] == [] and d["outbox_pending"] is False and d["outbox_lease_owner"] is None for d in stored)
    assert await relay.drain_fresh() == 0 and await relay.drain_once() == 0


async def test_events_added_to_an_inserted_document_before_its_relay_turn_follow_in_order(settings, db) -> None:  # type: ignore[no-untyped-def]
    col = db[f"agg_{uuid.uuid4().hex[:6]}"]
    sent, publish = recording()

    relay = OutboxRelay(db, [col.name], publish, poll_seconds=3600)
    first, second = record_for(disputed("agg-g"), settings), record_for(disputed("agg-g"), settings)
    await col.insert_one(relay.leased({"_id": "agg-g", "version": 1}, [first]))
    relay.inserted(col.name, "agg-g", [first])
    await col.update_one({"_id": "agg-g"}, with_events({"$set": {"version": 2}}, [second]))
    relay.wake(col.name, "agg-g")
    assert await relay.drain_fresh() == 1
    stored = await col.find_one({"_id": "agg-g"})
    assert [e["value"] for e in stored["outbox"]] == [second.value.decode()]  # only the published one pulled
    assert stored["outbox_pending"] is True and stored["outbox_lease_owner"] is None
    assert await relay.drain_hinted() == 1
    assert [r.value for r in sent] == [first.value, second.value]
    stored = await col.find_one({"_id": "agg-g"})
    assert stored["outbox"] == [] and stored["outbox_pending"] is False and stored["version"] == 2


async def test_a_failed_publish_of_inserted_events_leaves_the_rest_to_the_usual_relay(settings, db) -> None:  # type: ignore[no-untyped-def]
    col = db[f"agg_{uuid.uuid4().hex[:6]}"]
    records = [record_for(disputed("agg-x"), settings) for _ in range(2)]
    sent: list[Any] = []

    async def publish_first_only(r: Any) -> None:
        if r.value == records[1].value:
            raise ConnectionError("broker went away")
        sent.append(r)

    relay = OutboxRelay(db, [col.name], publish_first_only, poll_seconds=3600)
    await col.insert_one(relay.leased({"_id": "agg-x"}, records))
    relay.inserted(col.name, "agg-x", records)
    with pytest.raises(ConnectionError):
        await relay.drain_fresh()
    stored = await col.find_one({"_id": "agg-x"})
    assert [e["value"] for e in stored["outbox"]] == [records[1].value.decode()]
    assert stored["outbox_pending"] is True and stored["outbox_lease_owner"] is None

    async def publish(r: Any) -> None:
        sent.append(r)

    assert await OutboxRelay(db, [col.name], publish).drain_once() == 1
    assert [r.value for r in sent] == [r.value for r in records]


async def test_events_of_an_inserted_document_whose_relay_stopped_go_out_after_the_lease(settings, db) -> None:  # type: ignore[no-untyped-def]
    col = db[f"agg_{uuid.uuid4().hex[:6]}"]
    record = record_for(disputed("agg-s"), settings)

    async def never(r: Any) -> None:
        raise AssertionError("this relay stopped before its turn")

    stopped = OutboxRelay(db, [col.name], never, lease_seconds=1.0)
    await col.insert_one(stopped.leased({"_id": "agg-s"}, [record]))  # and the process ends before `inserted`
    sent, publish = recording()

    other = OutboxRelay(db, [col.name], publish)
    assert await other.drain_once() == 0  # still leased
    await asyncio.sleep(1.2)
    assert await other.drain_once() == 1
    assert sent[0].value == record.value
