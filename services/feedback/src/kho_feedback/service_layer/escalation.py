"""Escalation of overdue disputes: a dispute still open after its deadline (in working days) goes to the
agency's supervisors, once. Safe with several replicas sweeping at the same time (an insert with the
dispute's deterministic transition id is the claim: atomic on every engine, where FerretDB 1.24's
conditional updates are not) and after a crash (the claim holds the event; the sweeper applies claims left
unapplied)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from kho_contracts.events import DisputeOverdue
from kho_platform.context import correlated
from kho_platform.logging import get_logger
from prometheus_client import Counter

from kho_feedback.adapters.disputes import TransitionTaken
from kho_feedback.deps import Feedback
from kho_feedback.domain.disputes import Action, history_entry

log = get_logger(__name__)

ESCALATED = Counter("kho_feedback_disputes_escalated_total", "Overdue disputes escalated to supervisors")
_OVERDUE_NAMESPACE = uuid.UUID("6f1d2a4e-8f0b-4c1e-9a55-2b7de0c1a0b3")


def overdue_event_id(dispute_id: str) -> str:
    """One DisputeOverdue per dispute, so its id is derived from the dispute's."""
    return str(uuid.uuid5(_OVERDUE_NAMESPACE, dispute_id))


async def escalate_overdue(fb: Feedback, now: datetime | None = None) -> int:
    """Escalates every dispute overdue at `now`; returns how many this call escalated."""
    moment = now or fb.clock()
    role = fb.settings.supervisor_role
    escalated = 0
    seen: set[str] = set()
    while candidates := [d for d in await fb.disputes.overdue_candidates(moment) if d["_id"] not in seen]:
        for dispute in candidates:
            seen.add(dispute["_id"])
            with correlated(dispute.get("correlation_id") or dispute["_id"]):
                event = DisputeOverdue(
                    dispute_id=dispute["_id"],
                    document_id=dispute["document_id"],
                    owner_id=dispute["owner_id"],
                    agency_code=dispute["agency_code"],
                    document_version=dispute.get("document_version"),
                    document_name=dispute.get("document_name"),
                    document_code=dispute.get("document_code"),
                    deadline=date.fromisoformat(dispute["deadline"]),
                    escalated_to_role=role,
                )
                record = fb.record(event, event_id=overdue_event_id(dispute["_id"]))
            entry = history_entry(Action.ESCALATED, at=moment, by="system:overdue-sweeper", actor="system", role=role)
            try:
                transition = await fb.disputes.claim(
                    dispute["_id"],
                    "escalation",
                    at=moment,
                    fields={"escalated": True, "escalated_to_role": role, "escalated_at": moment},
                    entry=entry,
                    events=[record],
                )
            except TransitionTaken:
                continue  # another sweeper (this replica or another) has it
            if await fb.disputes.apply(transition):
                fb.events_written(dispute["_id"])
                escalated += 1
                ESCALATED.inc()
                log.info("overdue dispute escalated", dispute_id=dispute["_id"], agency=dispute["agency_code"])
    return escalated


async def repair_interrupted_transitions(fb: Feedback, grace: timedelta = timedelta(seconds=30)) -> int:
    """Applies the transitions claimed by a process that died before writing them into their dispute."""
    repaired = 0
    for transition in await fb.disputes.unapplied(fb.clock() - grace):
        log.warning("applying an interrupted transition", transition=transition["_id"])
        if await fb.disputes.apply(transition):
            fb.events_written(transition["dispute_id"])
            repaired += 1
    return repaired


async def overdue_sweeper(_: Any, fb: Feedback) -> None:
    """The background job of the service (ServiceDefinition.background)."""
    while True:
        try:
            await repair_interrupted_transitions(fb)
            await escalate_overdue(fb)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database is down: try again at the next round
            log.warning("overdue sweep failed, will retry", error=f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(fb.settings.overdue_check_seconds)
