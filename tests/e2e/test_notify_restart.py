"""The notify service killed (SIGKILL) in the middle of a stream of events and started again: every
notification is delivered, none twice. Deliveries caught between the provider call and its record are sent
again with the same idempotency key (the SMS RequestId), which the gateway refuses as a repeat."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from kho_notify.domain.ids import delivery_id, notification_id
from kho_notify.testing import events as ev
from kho_notify.testing.providers import ProviderServer, all_zalo_templates
from kho_platform.processes import ServiceProcess, free_port
from pymongo import MongoClient

pytestmark = pytest.mark.e2e

EVENTS = 200


async def produce(records: list[object]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers="127.0.0.1:9092", enable_idempotence=True)
    await producer.start()
    try:
        sent = [await producer.send(r.topic, r.value, key=r.key, headers=r.headers) for r in records]  # type: ignore[attr-defined]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def test_killed_and_restarted_mid_stream_nothing_lost_nothing_twice(
    start_service: Callable[..., ServiceProcess], topic_prefix: str, tmp_path: Path
) -> None:
    providers = ProviderServer(free_port(), tmp_path / "providers.log").start()
    prefix = f"{topic_prefix}r{uuid.uuid4().hex[:6]}."
    database = f"{prefix.replace('.', '_')}notify"
    env = {
        "KHO_KAFKA_TOPIC_PREFIX": prefix,
        "KHO_MONGO_DATABASE": database,
        "KHO_INSTANCE_DEAD_AFTER_SECONDS": "3",
        **providers.settings_env(all_zalo_templates()),
    }
    people = [(f"0521{n:08d}", f"8491{n:07d}") for n in range(EVENTS)]
    with MongoClient("mongodb://127.0.0.1:27017/") as mongo:
        mongo[database]["recipients"].insert_many(
            [{"_id": cid, "phone": phone, "channels": ["sms"]} for cid, phone in people]
        )
    providers.control(sms={"delay_seconds": 0.05})  # calls in flight when the process dies
    notify = start_service("notify", **env)
    try:
        sent = [(ev.record(ev.dossier_accepted(cid), prefix), cid) for cid, _ in people]
        asyncio.run(produce([r for r, _ in sent]))
        deadline = time.monotonic() + 60
        while len(providers.received(light=True)) < EVENTS // 4:
            assert time.monotonic() < deadline, "no progress before the kill"
            time.sleep(0.05)
        notify.kill()
        at_kill = len(providers.received(light=True))
        assert at_kill < EVENTS, "everything was sent before the kill: nothing to test"

        notify = start_service("notify", **env)
        expected = {delivery_id(notification_id(dict(r.headers)["ce_id"].decode(), cid), "sms"): cid for r, cid in sent}
        deadline = time.monotonic() + 120
        while True:
            rows = providers.received(light=True)
            accepted = Counter(r["key"] for r in rows if r["result"] is None and not r["duplicate"])
            if set(expected) <= set(accepted) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert set(accepted) == set(expected), f"lost: {len(set(expected) - set(accepted))}"
        assert max(accepted.values()) == 1  # no message accepted twice
        repeats = sum(1 for r in rows if r["duplicate"])
        print(f"killed after {at_kill} calls; {repeats} in-doubt deliveries resent and refused as repeats")
        with MongoClient("mongodb://127.0.0.1:27017/") as mongo:
            assert mongo[database]["inbox"].count_documents({}) == EVENTS
            deadline = time.monotonic() + 30
            while mongo[database]["deliveries"].count_documents({"channel": "sms", "status": "delivered"}) < EVENTS:
                assert time.monotonic() < deadline, "outcomes not all recorded"
                time.sleep(0.5)
    finally:
        notify.stop()
        providers.stop()
