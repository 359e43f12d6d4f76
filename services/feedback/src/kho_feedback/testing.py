"""Helpers for tests of the feedback service and of flows through it: made-up identities, the vault's and the
submission service's events published as those services would (the contract), the service's own events read
back from Kafka, and a PDF with a signature dictionary. Only tests use this module."""

from __future__ import annotations

import asyncio
import hashlib
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from kho_contracts import Event, decode, encode, new_envelope
from kho_contracts.common import DigitizationState, DocumentType, ObjectRef, OwnerKind, StoreKind
from kho_contracts.events import DocumentStored, DossierSubmitted, SubmittedComponent
from kho_platform.testing import TestIdentityProvider, read_records

from kho_feedback.deps import Feedback
from kho_feedback.settings import FeedbackSettings


def new_identity_number() -> str:
    """A made-up 12-digit CCCD (province 0xx, random digits): never a real person's."""
    return f"0{random.randint(10, 99)}{random.randint(0, 10**9 - 1):09d}"


def fake_ref(seed: str) -> ObjectRef:
    return ObjectRef(
        bucket="vault-files", key=f"documents/{seed}.pdf", sha256=hashlib.sha256(seed.encode()).hexdigest(), size=1234
    )


def signed_looking_pdf(text: str = "corrected") -> bytes:
    """A small PDF with a signature dictionary (a /ByteRange and /Contents placeholder). The feedback service
    only checks the shape; the vault and the signature service verify the signature itself."""
    body = (
        "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >> endobj\n"
        "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
        f"4 0 obj << /FT /Sig /T (Signature1) /V 5 0 R >> endobj\n"
        f"5 0 obj << /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
        f"/ByteRange [0 100 200 100] /Contents <{'00' * 64}> /Reason ({text}) >> endobj\n"
        "trailer << /Root 1 0 R >>\n%%EOF\n"
    )
    return body.encode()


@dataclass
class FeedbackUnderTest:
    client: httpx.AsyncClient
    fb: Feedback
    settings: FeedbackSettings
    producer: AIOKafkaProducer
    idp: TestIdentityProvider

    async def publish(self, event: Event, *, source: str, event_id: str | None = None) -> str:
        envelope = new_envelope(event, source=source, event_id=event_id)
        record = encode(event, envelope, topic_prefix=self.settings.kafka_topic_prefix)
        await self.producer.send_and_wait(record.topic, record.value, key=record.key, headers=record.headers)
        return envelope.id

    async def store_document(self, **fields: Any) -> DocumentStored:
        """Publishes DocumentStored as the vault would and waits until the feedback service knows it."""
        document_id = fields.pop("document_id", f"doc-{uuid.uuid4().hex[:10]}")
        owner_id = fields.pop("owner_id", new_identity_number())
        agency = fields.pop("issuing_agency_code", "H08.02")
        store_kind = fields.pop("store_kind", StoreKind.AGENCY_ISSUED)
        event = DocumentStored(
            document_id=document_id,
            version=fields.pop("version", 1),
            owner_id=owner_id,
            document_code=fields.pop("document_code", f"{owner_id}.KQ.G15.000031.{document_id[-6:]}"),
            document_type=fields.pop(
                "document_type",
                DocumentType.ISSUED_RESULT if store_kind == StoreKind.AGENCY_ISSUED else DocumentType.OWN_UPLOAD,
            ),
            store_kind=store_kind,
            result_code="KQ.G15.000031",
            name=fields.pop("name", "Giấy khai sinh"),
            issuing_agency_code=agency if store_kind == StoreKind.AGENCY_ISSUED else None,
            issuing_agency_name="UBND xã Phước Lộc" if store_kind == StoreKind.AGENCY_ISSUED else None,
            file=fields.pop("file", fake_ref(document_id)),
            **fields,
        )
        await self.publish(event, source="/kho/vault")
        await eventually(lambda: self.known_version(document_id, event.version))
        return event

    async def known_version(self, document_id: str, version: int) -> bool:
        doc = await self.fb.runtime.db["documents"].find_one({"_id": document_id})
        return doc is not None and doc.get("version") == version

    async def submit_dossier(self, owner_id: str, document_ids: list[str], agency_code: str = "H08.05") -> str:
        dossier_id = str(uuid.uuid4())
        event = DossierSubmitted(
            dossier_id=dossier_id,
            dossier_code=f"{agency_code}-260105-{random.randint(1, 9999):04d}",
            procedure_code="1.001193",
            agency_code=agency_code,
            owner_id=owner_id,
            applicant_id=owner_id,
            procedure_name="Đăng ký kết hôn",
            owner_kind=OwnerKind.CITIZEN,
            submitted_at=datetime.now(UTC),
            components=[
                SubmittedComponent(
                    component_code=f"TP{i}",
                    name="Giấy khai sinh",
                    document_id=doc_id,
                    digitized=True,
                    reused=True,
                    from_personal_vault=True,
                    digitization_state=DigitizationState.REUSED_FROM_RESULT,
                    source="auto_attached",
                )
                for i, doc_id in enumerate(document_ids)
            ],
            result_delivery="online",
        )
        await self.publish(event, source="/kho/submission")
        return dossier_id

    async def dispute(
        self, owner_id: str, document_id: str, reason: str = "wrong_citizen_info", **extra: Any
    ) -> httpx.Response:
        return await self.client.post(
            "/v1/disputes",
            json={"document_id": document_id, "reason": reason, **extra},
            headers=self.idp.citizen(owner_id),
        )

    async def resolve(
        self,
        dispute_id: str,
        headers: dict[str, str],
        outcome: str,
        explanation: str | None = None,
        pdf: bytes | None = None,
    ) -> httpx.Response:
        data = {"outcome": outcome}
        if explanation is not None:
            data["explanation"] = explanation
        files = {"file": ("corrected.pdf", pdf, "application/pdf")} if pdf is not None else None
        return await self.client.post(f"/v1/disputes/{dispute_id}/resolution", data=data, files=files, headers=headers)

    async def read_events(self, type_suffix: str, count: int, within: float = 20.0, **match: str) -> list[Any]:
        """The service's own events of one kind (CloudEvents type ends with `type_suffix`) read back from Kafka."""
        wanted: list[Any] = []

        def accept(record: Any) -> bool:
            envelope, event = decode(record.headers, record.value)
            if envelope.type.endswith(type_suffix) and all(str(getattr(event, k)) == v for k, v in match.items()):
                wanted.append((envelope, event))
                return True
            return False

        await read_records(
            self.settings.kafka_bootstrap,
            f"{self.settings.kafka_topic_prefix}kho.feedback.disputes",
            count,
            accept=accept,
            within=within,
        )
        return wanted


async def eventually(condition: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.1)
