"""Events the submission service consumes: disputes of documents, flagged to the front desk of every open
dossier that used the disputed document."""

from __future__ import annotations

from kho_contracts.events import DisputeResolved, ResultDisputed
from kho_platform.consumer import Delivery, Subscription

from kho_submission.domain.lifecycle import OPEN_STATUSES
from kho_submission.service_layer.context import Context

disputes = Subscription("disputes")


@disputes.on(ResultDisputed)
async def result_disputed(ctx: Context, delivery: Delivery) -> None:
    event = delivery.event
    assert isinstance(event, ResultDisputed)
    await ctx.disputed.opened(event.document_id, event.dispute_id, delivery.envelope.id)
    flag = {
        "dispute_id": event.dispute_id,
        "document_id": event.document_id,
        "reason": event.reason.value,
        "opened_at": event.opened_at,
        "open": True,
    }
    for dossier in await ctx.dossiers.find(
        {"document_ids": event.document_id, "status": {"$in": [s.value for s in OPEN_STATUSES]}}, limit=1000
    ):
        async with ctx.locks.hold(dossier["_id"]):
            current = await ctx.dossiers.get(dossier["_id"])
            if current is None or delivery.envelope.id in current.get("applied_events", []):
                continue
            await ctx.dossiers.update(
                dossier["_id"],
                {},
                {"$push": {"dispute_flags": flag}, "$addToSet": {"applied_events": delivery.envelope.id}},
            )


@disputes.on(DisputeResolved)
async def dispute_resolved(ctx: Context, delivery: Delivery) -> None:
    event = delivery.event
    assert isinstance(event, DisputeResolved)
    await ctx.disputed.resolved(event.document_id, event.dispute_id, delivery.envelope.id)
    for dossier in await ctx.dossiers.find({"document_ids": event.document_id}, limit=1000):
        async with ctx.locks.hold(dossier["_id"]):
            current = await ctx.dossiers.get(dossier["_id"])
            if current is None or delivery.envelope.id in current.get("applied_events", []):
                continue
            flags = [
                {**f, "open": False, "outcome": event.outcome} if f.get("dispute_id") == event.dispute_id else f
                for f in current.get("dispute_flags", [])
            ]
            await ctx.dossiers.update(
                dossier["_id"],
                {},
                {"$set": {"dispute_flags": flags}, "$addToSet": {"applied_events": delivery.envelope.id}},
            )
