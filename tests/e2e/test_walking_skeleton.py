"""One real flow across two services and the real servers: the vault's DocumentStored tells the feedback
service about an agency-issued result; its owner disputes it on the feedback service; the dispute and its
ResultDisputed event are written together (outbox); the relay publishes it to Kafka; the notify service puts
one message in the agency's in-app inbox: once, also when Kafka delivers the event twice and when the
consumer dies after acting but before committing."""

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
from kho_contracts import encode, new_envelope
from kho_contracts.common import DocumentType, ObjectRef, StoreKind
from kho_contracts.events import DocumentStored
from kho_platform.processes import ServiceProcess, free_port
from kho_platform.testing import TestIdentityProvider, wait_for

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


async def publish_document_stored(topic_prefix: str, owner: str, document_id: str) -> None:
    """The vault's DocumentStored for an agency-issued result, as the vault publishes it (the contract)."""
    event = DocumentStored(
        document_id=document_id,
        version=1,
        owner_id=owner,
        document_code=f"{owner}.KQ.G15.000031.{document_id[-6:]}",
        document_type=DocumentType.ISSUED_RESULT,
        store_kind=StoreKind.AGENCY_ISSUED,
        result_code="KQ.G15.000031",
        name="Giấy khai sinh",
        issuing_agency_code=AGENCY,
        file=ObjectRef(bucket="vault", key=f"{document_id}.pdf", sha256="0" * 64, size=1000),
    )
    record = encode(event, new_envelope(event, source="/kho/vault"), topic_prefix=topic_prefix)
    producer = AIOKafkaProducer(bootstrap_servers="127.0.0.1:9092")
    await producer.start()
    try:
        await producer.send_and_wait(record.topic, record.value, key=record.key, headers=record.headers)
    finally:
        await producer.stop()


def open_dispute(feedback: ServiceProcess, idp: TestIdentityProvider, owner: str, topic_prefix: str) -> dict[str, Any]:
    document_id = f"doc-{uuid.uuid4().hex[:8]}"
    asyncio.run(publish_document_stored(topic_prefix, owner, document_id))
    url = f"{feedback.url}/v1/documents/{document_id}/disputes"
    wait_for(lambda: httpx.get(url, headers=idp.citizen(owner)).status_code == 200)  # the feedback service knows it
    response = httpx.post(
        f"{feedback.url}/v1/disputes",
        json={"document_id": document_id, "reason": "wrong_citizen_info"},
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
    test_topic_prefix: str,
    service_env: Callable[[str], dict[str, str]],
    tmp_path: Path,
) -> None:
    feedback = start_service("feedback")
    notify = start_service("notify")
    officer = identity_provider.officer(AGENCY, ["front_desk"])

    # 1. the flow itself
    dispute = open_dispute(feedback, identity_provider, "001090000101", test_topic_prefix)
    wait_for(lambda: len(agency_inbox(notify, officer)) == 1)
    message = agency_inbox(notify, officer)[0]
    assert message["data"]["dispute_id"] == dispute["dispute_id"]
    assert "thông tin công dân không chính xác" in message["body"]
    assert handled_ok(notify) == 1

    # 2. Kafka delivers the same event again: handled again, no second message
    (record,) = asyncio.run(read_dispute_records(test_topic_prefix, 1))
    assert dict(record.headers)["ce_correlationid"] == b"skeleton-flow-1"
    asyncio.run(redeliver(test_topic_prefix, record))
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
    open_dispute(feedback, identity_provider, "001090000102", test_topic_prefix)
    assert crashing.wait(60) == CRASH_EXIT_CODE, (tmp_path / "crashing.log").read_text()[-3000:]

    restarted = start_service("notify")
    wait_for(lambda: handled_ok(restarted) >= 1)  # the uncommitted event came back
    time.sleep(1.0)
    inbox = agency_inbox(restarted, officer)
    assert len(inbox) == 2, inbox
    assert sorted(m["data"]["document_id"] for m in inbox)[0].startswith("doc-")
