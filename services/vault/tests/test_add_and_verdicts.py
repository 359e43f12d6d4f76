"""Adding a document: quarantine, DocumentUploaded, the signature verdict from Kafka, status polling, and the
same file added twice."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from kho_contracts.common import Indication
from kho_contracts.events import SignatureRejected, SignatureVerified
from minio.error import S3Error
from vault_pdfs import unique_pdf

pytestmark = pytest.mark.integration


def citizen_id() -> str:
    return f"0520{random.randint(10**7, 10**8 - 1)}"


async def add(vault: Any, owner: str, pdf: bytes, **fields: Any) -> Any:
    data = {"document_type": "own_upload", "category_code": "GKS", "name": "Giấy khai sinh", **fields}
    return await vault.client.post(
        "/v1/documents",
        data=data,
        files={"file": ("giay-khai-sinh.pdf", pdf, "application/pdf")},
        headers=vault.idp.citizen(owner, name="Nguyễn Văn An"),
    )


def verdict(cls: type, doc: dict[str, Any], **extra: Any) -> Any:
    values = {
        "validation_id": str(uuid.uuid4()),
        "document_id": doc["document_id"],
        "version": doc["current_version"],
        "sha256": doc["file"]["sha256"],
        "policy": doc["policy"],
        "indication": Indication.TOTAL_PASSED,
        "message_vi": "Chữ ký số hợp lệ",
        "message_en": "The signature is valid",
        **extra,
    }
    return cls(**values)


async def status_of(vault: Any, owner: str, document_id: str) -> dict[str, Any]:
    response = await vault.client.get(f"/v1/documents/{document_id}", headers=vault.idp.citizen(owner))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_added_file_waits_in_quarantine_then_becomes_active_on_a_passed_verdict(vault: Any) -> None:
    owner = citizen_id()
    pdf = unique_pdf(2)
    response = await add(vault, owner, pdf, document_type="issued_result", document_number="123/QĐ-UBND")
    assert response.status_code == 202, response.text
    doc = response.json()
    assert doc["status"] == "pending_verification"
    assert doc["policy"] == "government-result"
    assert doc["document_code"] == f"{owner}.KQ.G15.000031.123/QD-UBND"
    assert doc["file"]["pages"] == 2 and doc["file"]["size"] == len(pdf)
    stored = await vault.deps.store.read(owner)
    version = stored["documents"][0]["versions"][0]
    assert version["key"].startswith(f"quarantine/{owner}/")

    [uploaded] = await vault.events(1, of_type="vn.gov.kho.vault.document.uploaded.v1", key=doc["document_id"])
    assert uploaded.policy == "government-result" and uploaded.file.sha256 == doc["file"]["sha256"]
    assert uploaded.file.key == version["key"]

    await vault.publish(verdict(SignatureVerified, doc))

    async def active() -> Any:
        found = await status_of(vault, owner, doc["document_id"])
        return found if found["status"] == "active" else None

    now_active = await vault.wait_for(active)
    assert now_active["verdict"]["indication"] == "TOTAL_PASSED"
    [stored_event] = await vault.events(1, of_type="vn.gov.kho.vault.document.stored.v1", key=doc["document_id"])
    assert stored_event.document_code == doc["document_code"]
    assert stored_event.file.key.startswith(f"documents/{owner}/")
    # the file left quarantine: the stored copy is readable, the quarantine copy is gone
    content = await vault.client.get(f"/v1/documents/{doc['document_id']}/content", headers=vault.idp.citizen(owner))
    assert content.status_code == 200 and content.content == pdf
    with pytest.raises(S3Error):
        vault.runtime.s3.stat_object(vault.deps.objects.bucket, version["key"])


async def test_a_rejected_verdict_gives_the_reason_in_vietnamese(vault: Any) -> None:
    owner = citizen_id()
    pdf = unique_pdf()
    doc = (await add(vault, owner, pdf, document_type="issued_result")).json()
    await vault.publish(
        verdict(
            SignatureRejected,
            doc,
            indication=Indication.INDETERMINATE,
            sub_indication="NO_CERTIFICATE_CHAIN_FOUND",
            message_vi="Chữ ký số không do Ban Cơ yếu Chính phủ cấp",
            message_en="The signer's certificate does not chain to the government CA",
        )
    )

    async def rejected() -> Any:
        found = await status_of(vault, owner, doc["document_id"])
        return found if found["status"] == "rejected" else None

    body = await vault.wait_for(rejected)
    assert body["status_reason_vi"] == "Chữ ký số không do Ban Cơ yếu Chính phủ cấp"
    [event] = await vault.events(1, of_type="vn.gov.kho.vault.document.rejected.v1", key=doc["document_id"])
    assert event.sub_indication == "NO_CERTIFICATE_CHAIN_FOUND" and "Ban Cơ yếu" in event.reason_vi
    # the rejected file may be added again (for example as the owner's own upload): a new document
    again = await add(vault, owner, pdf)
    assert again.status_code == 202 and again.json()["document_id"] != doc["document_id"]


async def test_a_verdict_delivered_twice_acts_once(vault: Any) -> None:
    owner = citizen_id()
    doc = (await add(vault, owner, unique_pdf())).json()
    event = verdict(SignatureVerified, doc, policy="any-qualified")
    await vault.publish(event)
    await vault.publish(event)

    async def active() -> Any:
        return (await status_of(vault, owner, doc["document_id"]))["status"] == "active"

    await vault.wait_for(active)
    stored = await vault.events(2, of_type="vn.gov.kho.vault.document.stored.v1", key=doc["document_id"], timeout=4)
    assert len(stored) == 1


async def test_the_same_file_added_twice_by_one_owner_is_stored_once(vault: Any) -> None:
    owner = citizen_id()
    pdf = unique_pdf()
    first = await add(vault, owner, pdf)
    second = await add(vault, owner, pdf, name="Tên khác")
    assert first.status_code == 202 and second.status_code == 200
    assert second.json()["document_id"] == first.json()["document_id"] and second.json()["duplicate"] is True
    listing = await vault.client.get("/v1/documents", headers=vault.idp.citizen(owner))
    assert listing.json()["total"] == 1
    # another owner adding the same file gets their own document
    other = await add(vault, citizen_id(), pdf)
    assert other.status_code == 202 and other.json()["document_id"] != first.json()["document_id"]
