"""The whole dispute cycle across the vault, feedback and notify services, as processes, over the real Kafka,
FerretDB and S3: a result issued into the vault (ResultIssued, published as the submission service would)
-> its owner disputes it -> the issuing agency's queue and inbox get it, the vault marks it disputed -> an
officer of the agency resolves it with a corrected, signed file -> the vault shows the new version and keeps
the old one -> the owner's inbox gets the resolution -> the dispute records that the correction was applied.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from kho_contracts import encode, new_envelope
from kho_contracts.common import ObjectRef, OwnerKind
from kho_contracts.events import ResultIssued
from kho_feedback.testing import new_identity_number, signed_looking_pdf
from kho_platform.processes import ServiceProcess
from kho_platform.settings import PlatformSettings
from kho_platform.storage import make_s3_client
from kho_platform.testing import TestIdentityProvider, wait_for

pytestmark = pytest.mark.e2e

AGENCY = "H08.02"


def issued_pdf(owner_id: str) -> bytes:
    return signed_looking_pdf(f"Giay khai sinh {owner_id}")


async def issue_result(settings: PlatformSettings, bucket: str, owner_id: str, result_id: str, pdf: bytes) -> None:
    """What the submission service does when an agency issues a result: the signed file in S3, then ResultIssued."""
    s3 = make_s3_client(settings)
    if not s3.bucket_exists(bucket):
        s3.make_bucket(bucket)
    key = f"issued/{result_id}.pdf"
    s3.put_object(bucket, key, io.BytesIO(pdf), len(pdf), content_type="application/pdf")
    event = ResultIssued(
        result_id=result_id,
        owner_id=owner_id,
        owner_kind=OwnerKind.CITIZEN,
        owner_name="Nguyễn Văn Thử",
        agency_code=AGENCY,
        agency_name="UBND xã Phước Lộc",
        name="Giấy khai sinh",
        document_number=f"{uuid.uuid4().int % 10**6:06d}/2026",
        issue_date=date(2026, 1, 5),
        file=ObjectRef(bucket=bucket, key=key, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf)),
        pages=1,
        result_code="KQ.G15.000031",
        hidden_until_returned=False,
    )
    record = encode(event, new_envelope(event, source="/kho/submission"), topic_prefix=settings.kafka_topic_prefix)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(record.topic, record.value, key=record.key, headers=record.headers)
    finally:
        await producer.stop()


def get_json(url: str, headers: dict[str, str]) -> Any:
    response = httpx.get(url, headers=headers, timeout=10)
    return response.json() if response.status_code == 200 else None


def test_dispute_cycle_vault_feedback_notify(
    start_service: Callable[..., ServiceProcess],
    identity_provider: TestIdentityProvider,
    platform_settings: PlatformSettings,
    run_id: str,
) -> None:
    # topics of its own, so that other end-to-end tests of the session never see this cycle's events
    prefix = f"{platform_settings.kafka_topic_prefix}cycle{uuid.uuid4().hex[:6]}."
    settings = platform_settings.model_copy(update={"kafka_topic_prefix": prefix})
    vault = start_service("vault", KHO_KAFKA_TOPIC_PREFIX=prefix)
    feedback = start_service("feedback", KHO_KAFKA_TOPIC_PREFIX=prefix)
    notify = start_service("notify", KHO_KAFKA_TOPIC_PREFIX=prefix)
    idp = identity_provider
    owner_id = new_identity_number()
    owner = idp.citizen(owner_id, name="Nguyễn Văn Thử")
    officer = idp.officer(AGENCY, ["dispute_handler"], subject="officer-h0802-e2e")
    result_id = f"kq-{uuid.uuid4().hex[:12]}"
    original = issued_pdf(owner_id)

    # 1. the agency issues the result into the owner's vault
    asyncio.run(issue_result(settings, f"t{run_id}-e2e-issued", owner_id, result_id, original))
    doc_url = f"{vault.url}/v1/documents/{result_id}"
    stored = wait_for(lambda: get_json(doc_url, owner), what="the vault stores the issued result")
    assert stored["store_kind"] == "agency_issued" and stored["current_version"] == 1

    # 2. the feedback service learned of it from the vault's DocumentStored; the owner disputes it
    wait_for(
        lambda: (get_json(f"{feedback.url}/v1/documents/{result_id}/disputes", owner) or {}).get("disputable"),
        what="the feedback service knows the document",
    )
    opened = httpx.post(
        f"{feedback.url}/v1/disputes",
        json={"document_id": result_id, "reason": "wrong_citizen_info", "note": "Sai ngày sinh"},
        headers=owner,
    )
    assert opened.status_code == 201, opened.text
    dispute = opened.json()
    assert dispute["agency_code"] == AGENCY
    dispute_id = dispute["dispute_id"]

    # 3. the agency's queue and inbox get it; the vault marks the document disputed
    queue = get_json(f"{feedback.url}/v1/agencies/{AGENCY}/disputes", officer)
    assert dispute_id in [d["dispute_id"] for d in queue["items"]]
    wait_for(
        lambda: any(
            m["data"].get("dispute_id") == dispute_id for m in get_json(f"{notify.url}/v1/inbox", officer) or []
        ),
        what="the agency's inbox gets the dispute",
    )
    wait_for(
        lambda: ((get_json(doc_url, owner) or {}).get("dispute") or {}).get("dispute_id") == dispute_id,
        what="the vault marks the document disputed",
    )

    # 4. the officer resolves it with the corrected, signed file
    corrected = signed_looking_pdf(f"Giay khai sinh {owner_id} (dinh chinh)")
    resolved = httpx.post(
        f"{feedback.url}/v1/disputes/{dispute_id}/resolution",
        data={"outcome": "corrected", "explanation": "Đã đính chính ngày sinh và cấp lại"},
        files={"file": ("corrected.pdf", corrected, "application/pdf")},
        headers=officer,
    )
    assert resolved.status_code == 200, resolved.text
    again = httpx.post(
        f"{feedback.url}/v1/disputes/{dispute_id}/resolution",
        data={"outcome": "rejected", "explanation": "Lần giải quyết thứ hai"},
        headers=officer,
    )
    assert again.status_code == 409

    # 5. the vault shows the new version and keeps the old one
    def replaced() -> Any:
        found = get_json(doc_url, owner)
        return found if found and found["current_version"] == 2 else None

    document = wait_for(replaced, what="the vault replaces the file")
    assert document["file"]["sha256"] == hashlib.sha256(corrected).hexdigest()
    assert sorted(v["version"] for v in document["versions"]) == [1, 2]
    old = httpx.get(f"{doc_url}/content", params={"version": 1}, headers=owner, timeout=10)
    assert old.status_code == 200 and old.content == original
    assert not document.get("dispute")

    # 6. the owner's inbox gets the resolution
    wait_for(
        lambda: any(m["data"].get("dispute_id") == dispute_id for m in get_json(f"{notify.url}/v1/inbox", owner) or []),
        what="the owner's inbox gets the resolution",
    )

    # 7. the vault's DocumentReplaced closes the loop in the dispute's history
    final = wait_for(
        lambda: (lambda d: d if d and d["correction_applied"] else None)(
            get_json(f"{feedback.url}/v1/disputes/{dispute_id}", owner)
        ),
        what="the dispute records the applied correction",
    )
    assert [h["action"] for h in final["history"]] == ["opened", "resolved", "correction_applied"]
    assert final["resolution"]["corrected_file"]["sha256"] == hashlib.sha256(corrected).hexdigest()
