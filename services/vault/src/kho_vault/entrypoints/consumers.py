"""The vault's consumer: one subscription over the topics it reads; each event type goes to its reaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from kho_contracts import Event
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

from kho_vault.reactions import Reactions

if TYPE_CHECKING:
    from kho_vault.app import VaultDeps

Reaction = Callable[[Reactions, Any], Awaitable[None]]

REACTIONS: dict[type[Event], Reaction] = {
    SignatureVerified: Reactions.verdict,
    SignatureRejected: Reactions.verdict,
    ResultIssued: Reactions.issued,
    CertifiedCopyIssued: Reactions.issued,
    ResultReturned: Reactions.returned,
    DossierSubmitted: Reactions.dossier_submitted,
    ResultDisputed: Reactions.disputed,
    DisputeResolved: Reactions.dispute_resolved,
}

documents = Subscription("documents")


def _handler(event_type: type[Event], reaction: Reaction) -> Callable[[VaultDeps, Delivery], Awaitable[None]]:
    async def handle(deps: VaultDeps, delivery: Delivery) -> None:
        assert isinstance(delivery.event, event_type)
        await reaction(deps.reactions, delivery.event)

    return handle


for _event_type, _reaction in REACTIONS.items():
    documents.on(_event_type)(_handler(_event_type, _reaction))
