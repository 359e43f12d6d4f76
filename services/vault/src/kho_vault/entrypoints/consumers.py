"""The vault's consumer: one subscription over the topics it reads, one handler per event type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kho_contracts.events import (
    CertifiedCopyIssued,
    DisputeResolved,
    DossierSubmitted,
    ResultDisputed,
    ResultIssued,
    ResultReturned,
    SignatureRejected,
    SignatureVerified,
)
from kho_platform.consumer import Delivery, Subscription

if TYPE_CHECKING:
    from kho_vault.app import VaultDeps

documents = Subscription("documents")


@documents.on(SignatureVerified)
async def signature_verified(deps: VaultDeps, delivery: Delivery) -> None:
    assert isinstance(delivery.event, SignatureVerified)
    await deps.reactions.verdict(delivery.event)


@documents.on(SignatureRejected)
async def signature_rejected(deps: VaultDeps, delivery: Delivery) -> None:
    assert isinstance(delivery.event, SignatureRejected)
    await deps.reactions.verdict(delivery.event)


@documents.on(ResultIssued)
async def result_issued(deps: VaultDeps, delivery: Delivery) -> None:
    assert isinstance(delivery.event, ResultIssued)
    await deps.reactions.issued(delivery.event)


@documents.on(CertifiedCopyIssued)
async def certified_copy_issued(deps: VaultDeps, delivery: Delivery) -> None:
    assert isinstance(delivery.event, CertifiedCopyIssued)
    await deps.reactions.issued(delivery.event)


@documents.on(ResultReturned)
async def result_returned(deps: VaultDeps, delivery: Delivery) -> None:
    assert isinstance(delivery.event, ResultReturned)
    await deps.reactions.returned(delivery.event)


@documents.on(DossierSubmitted)
async def dossier_submitted(deps: VaultDeps, delivery: Delivery) -> None:
    assert isinstance(delivery.event, DossierSubmitted)
    await deps.reactions.dossier_submitted(delivery.event)


@documents.on(ResultDisputed)
async def result_disputed(deps: VaultDeps, delivery: Delivery) -> None:
    assert isinstance(delivery.event, ResultDisputed)
    await deps.reactions.disputed(delivery.event)


@documents.on(DisputeResolved)
async def dispute_resolved(deps: VaultDeps, delivery: Delivery) -> None:
    assert isinstance(delivery.event, DisputeResolved)
    await deps.reactions.dispute_resolved(delivery.event)
