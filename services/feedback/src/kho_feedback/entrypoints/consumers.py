"""What the feedback service learns from the other services' events.

* the vault's DocumentStored / DocumentReplaced: which documents exist, their owner, issuing agency and current
  version (a replacement that carries a dispute's corrected file is noted in that dispute's history);
* the submission service's DossierSubmitted: which dossiers used which documents; DossierRejected and
  ResultReturned close those dossiers; ResultReturned also makes the returned results visible to their owner.

Every handler can run twice for the same event without acting twice (version filters, deterministic ids,
event ids recorded in the changed document).
"""

from __future__ import annotations

from kho_contracts.events import (
    DocumentReplaced,
    DocumentStored,
    DossierRejected,
    DossierSubmitted,
    ResultReturned,
)
from kho_platform.consumer import Delivery, Subscription
from kho_platform.logging import get_logger

from kho_feedback.deps import Feedback
from kho_feedback.domain.disputes import Action, history_entry

log = get_logger(__name__)

projections = Subscription("projections")


@projections.on(DocumentStored)
async def document_stored(fb: Feedback, delivery: Delivery) -> None:
    event = delivery.event
    assert isinstance(event, DocumentStored)
    if not await fb.documents.apply_stored(event):
        log.info("older document version ignored", document_id=event.document_id, version=event.version)


@projections.on(DocumentReplaced)
async def document_replaced(fb: Feedback, delivery: Delivery) -> None:
    event = delivery.event
    assert isinstance(event, DocumentReplaced)
    await fb.documents.apply_replaced(event)
    at = delivery.envelope.time

    def entry() -> dict[str, object]:
        return history_entry(
            Action.CORRECTION_APPLIED,
            at=at,
            by="vault",
            actor="system",
            version=event.version,
            previous_version=event.previous_version,
        )

    await fb.disputes.record_correction_applied(event.document_id, event.file.sha256, entry, delivery.envelope.id)


@projections.on(DossierSubmitted)
async def dossier_submitted(fb: Feedback, delivery: Delivery) -> None:
    event = delivery.event
    assert isinstance(event, DossierSubmitted)
    await fb.dossiers.record_submitted(event)


@projections.on(DossierRejected)
async def dossier_rejected(fb: Feedback, delivery: Delivery) -> None:
    event = delivery.event
    assert isinstance(event, DossierRejected)
    await fb.dossiers.close_dossier(event.dossier_id, "rejected")


@projections.on(ResultReturned)
async def result_returned(fb: Feedback, delivery: Delivery) -> None:
    event = delivery.event
    assert isinstance(event, ResultReturned)
    await fb.documents.mark_returned(event.result_ids)
    await fb.dossiers.close_dossier(event.dossier_id, "result_returned")
