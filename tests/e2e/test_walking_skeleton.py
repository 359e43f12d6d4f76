"""One real flow across two services and the real servers: a citizen disputes a result on the feedback
service; the dispute and its ResultDisputed event are written together (outbox); the relay publishes it to
Kafka; the notify service puts one message in the agency's in-app inbox: once, also when Kafka delivers the
event twice and when the consumer dies after acting but before committing."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kho_platform.processes import ServiceProcess, free_port
from kho_platform.testing import TestIdentityProvider

pytestmark = pytest.mark.e2e

AGENCY = "H08.02"
CRASH_EXIT_CODE = 17


def handled_ok(notify: ServiceProcess) -> float:
    text = httpx.get(f"{notify.url}/metrics").text
    pattern = (
        r'kho_events_handled_total\{consumer="notify.notifications",outcome="ok",type="[^"]*disputed[^"]*"\} (\S+)'
    )
    match = re.search(pattern, text)
    return float(match.group(1)) if match else 0.0


def agency_inbox(notify: ServiceProcess, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = httpx.get(f"{notify.url}/v1/inbox", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()
    return items


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.2)


def open_dispute(feedback: ServiceProcess, idp: TestIdentityProvider, owner: str) -> dict[str, Any]:
    response = httpx.post(
        f"{feedback.url}/v1/disputes",
        json={"document_id": f"doc-{uuid.uuid4().hex[:8]}", "agency_code": AGENCY, "reason": "wrong_citizen_info"},
        headers={**idp.citizen(owner), "X-Correlation-ID": "skeleton-flow-1"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def read_dispute_records(topic_prefix: str, count: int) -> list[Any]:
    consumer = AIOKafkaConsumer(
        f"{topic_prefix}kho.feedback.disputes",
        bootstrap_servers="127.0.0.1:9092",
        auto_offset_reset="earliest",
        group_id=f"reader-{uuid.uuid4().hex}",
    )
    await consumer.start()
    found: list[Any] = []
    try:
        async with asyncio.timeout(20):
            while len(found) < count:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found.extend(records)
    finally:
        await consumer.stop()
    return found


async def redeliver(topic_prefix: str, record: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers="127.0.0.1:9092")
    await producer.start()
    try:
        await producer.send_and_wait(record.topic, record.value, key=record.key, headers=list(record.headers))
    finally:
        await producer.stop()


def test_dispute_reaches_the_agency_inbox_exactly_once(
    start_service: Callable[..., ServiceProcess],
    identity_provider: TestIdentityProvider,
    topic_prefix: str,
    service_env: Callable[[str], dict[str, str]],
    tmp_path: Path,
) -> None:
    feedback = start_service("feedback")
    notify = start_service("notify")
    officer = identity_provider.officer(AGENCY, ["front_desk"])

    # 1. the flow itself
    dispute = open_dispute(feedback, identity_provider, "052090000495")
    wait_for(lambda: len(agency_inbox(notify, officer)) == 1)
    message = agency_inbox(notify, officer)[0]
    assert message["data"]["dispute_id"] == dispute["dispute_id"]
    assert "thông tin công dân không chính xác" in message["body"]
    assert handled_ok(notify) == 1

    # 2. Kafka delivers the same event again: handled again, no second message
    (record,) = asyncio.run(read_dispute_records(topic_prefix, 1))
    assert dict(record.headers)["ce_correlationid"] == b"skeleton-flow-1"
    asyncio.run(redeliver(topic_prefix, record))
    wait_for(lambda: handled_ok(notify) == 2)
    assert len(agency_inbox(notify, officer)) == 1

    # 3. the consumer dies after acting, before committing: the restarted service gets it again, acts once
    notify.stop()
    crashing = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("crash_after_handler.py"))],
        env={**os.environ, **service_env("notify"), "KHO_HTTP_PORT": str(free_port())},
        stdout=(tmp_path / "crashing.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    open_dispute(feedback, identity_provider, "052090000496")
    assert crashing.wait(60) == CRASH_EXIT_CODE, (tmp_path / "crashing.log").read_text()[-3000:]

    restarted = start_service("notify")
    wait_for(lambda: handled_ok(restarted) >= 1)  # the uncommitted event came back
    time.sleep(1.0)
    inbox = agency_inbox(restarted, officer)
    assert len(inbox) == 2, inbox
    assert sorted(m["data"]["document_id"] for m in inbox)[0].startswith("doc-")
