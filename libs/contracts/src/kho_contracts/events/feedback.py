"""Events of the feedback service (topic kho.feedback.disputes, key: dispute id)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from kho_contracts.base import Event, register
from kho_contracts.common import DisputeReason, IdentityNumber, ObjectRef
from kho_contracts.topics import FEEDBACK_DISPUTES


class _DisputeEvent(Event):
    TOPIC = FEEDBACK_DISPUTES
    KEY_FIELD = "dispute_id"
    PRODUCER = "feedback"

    dispute_id: str
    document_id: str
    owner_id: IdentityNumber
    agency_code: str
    document_version: int | None = Field(default=None, ge=1, description="version of the document disputed")
    document_name: str | None = None
    document_code: str | None = None


@register
class ResultDisputed(_DisputeEvent):
    """An owner disputed an agency-issued document of their vault with one of the three reasons."""

    TYPE = "vn.gov.kho.feedback.result.disputed.v1"
    CONSUMERS = ("vault", "notify", "submission")

    reason: DisputeReason
    note: str | None = None
    opened_at: datetime
    deadline: date
    affected_dossier_ids: list[str] = Field(
        default_factory=list, description="open dossiers known to have used the document when it was disputed"
    )


@register
class DisputeResolved(_DisputeEvent):
    """The issuing agency resolved a dispute: corrected (a re-issued signed file replaces the old one) or
    rejected with an explanation."""

    TYPE = "vn.gov.kho.feedback.dispute.resolved.v1"
    CONSUMERS = ("vault", "notify", "submission")

    outcome: str = Field(pattern=r"^(corrected|rejected)$")
    explanation: str
    corrected_file: ObjectRef | None = None
    resolved_by: str
    resolved_at: datetime


@register
class DisputeOverdue(_DisputeEvent):
    """A dispute passed its deadline in working days without a resolution and was escalated."""

    TYPE = "vn.gov.kho.feedback.dispute.overdue.v1"
    CONSUMERS = ("notify",)

    deadline: date
    escalated_to_role: str
