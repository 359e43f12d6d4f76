"""Event handlers: a file uploaded to a vault is validated under the policy the vault asks for, and the
verdict (SignatureVerified or SignatureRejected, with the report) is written through the outbox."""

from __future__ import annotations

import hashlib

from kho_contracts.common import Indication
from kho_contracts.events import DocumentUploaded, SignatureRejected, SignatureVerified
from kho_platform.consumer import Delivery, Subscription
from kho_platform.logging import get_logger

from kho_signature.deps import VALIDATIONS, SignatureService, validation_id_for, xml_key
from kho_signature.trust import DEFAULT_POLICIES, Policy
from kho_signature.validation.engine import failure_report
from kho_signature.validation.etsi_xml import minimal_report

log = get_logger(__name__)

verdicts = Subscription(name="verdicts")


@verdicts.on(DocumentUploaded)
async def on_document_uploaded(service: SignatureService, delivery: Delivery) -> None:
    event = delivery.event
    assert isinstance(event, DocumentUploaded)
    validation_id = validation_id_for(event.document_id, event.version, event.policy, event.file.sha256)
    if await service.runtime.db[VALIDATIONS].find_one({"_id": validation_id}, projection={"_id": 1}):
        return  # done before: the outbox publishes (or published) its verdict
    limit = service.settings.signature_max_bytes
    data = await service.get_object(event.file.bucket, event.file.key, limit)
    policy_obj = DEFAULT_POLICIES.get(event.policy) or Policy(event.policy, frozenset())
    if len(data) > limit:
        report = failure_report(data[:0], policy_obj, "too_large")
        xml = minimal_report(report)
    elif hashlib.sha256(data).hexdigest() != event.file.sha256:
        report = failure_report(data, policy_obj, "not_pdf", detail="the object does not match the event's sha256")
        xml = minimal_report(report)
    elif event.policy not in DEFAULT_POLICIES:
        report = failure_report(
            data,
            policy_obj,
            "internal",
            indication=Indication.INDETERMINATE,
            sub="GENERIC",
            detail=f"unknown policy {event.policy}",
        )
        xml = minimal_report(report)
    else:
        report, xml = await service.validate_with_refresh(data, event.policy)
    cls = SignatureVerified if report.indication == Indication.TOTAL_PASSED else SignatureRejected
    verdict = cls(
        validation_id=validation_id,
        document_id=event.document_id,
        version=event.version,
        sha256=event.file.sha256,
        policy=event.policy,
        indication=report.indication,
        sub_indication=report.sub_indication,
        message_vi=report.message_vi,
        message_en=report.message_en,
        signers=report.signer_summaries(),
        report_key=f"{service.runtime.bucket('signature-reports')}/{xml_key(validation_id)}",
    )
    record = service.runtime.record(verdict, event_id=f"{validation_id}-verdict")
    stored = await service.store_report(
        validation_id,
        report,
        xml,
        extra={"document_id": event.document_id, "version": event.version, "event_id": delivery.envelope.id},
        records=[record],
    )
    log.info(
        "document validated",
        document_id=event.document_id,
        indication=report.indication.value,
        sub_indication=report.sub_indication,
        stored=stored,
    )
