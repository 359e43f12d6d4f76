"""The feedback service: citizens' and organizations' disputes of electronic results (phản ánh về kết quả
giải quyết). The composition root: what the service consumes, produces, stores, and its background job."""

from __future__ import annotations

from fastapi import FastAPI
from kho_contracts.events import DisputeOverdue, DisputeResolved, ResultDisputed
from kho_platform.service import ServiceDefinition, create_service_app

from kho_feedback.adapters import disputes, documents, dossiers
from kho_feedback.adapters.files import CORRECTIONS_BUCKET
from kho_feedback.deps import Feedback
from kho_feedback.entrypoints.api import router
from kho_feedback.entrypoints.consumers import projections
from kho_feedback.service_layer.escalation import overdue_sweeper
from kho_feedback.settings import FeedbackSettings

definition = ServiceDefinition(
    name="feedback",
    title="Kho dữ liệu: feedback service",
    description="Disputes of electronic results (phản ánh về kết quả giải quyết): the owner's dispute, the issuing "
    "agency's queue with a deadline in working days, escalation when overdue, resolution, reports.",
    produces=(ResultDisputed, DisputeResolved, DisputeOverdue),
    subscriptions=(projections,),
    outbox_collections=(disputes.DISPUTES,),
    indexes=(*disputes.INDEXES, *documents.INDEXES, *dossiers.INDEXES),
    buckets=(CORRECTIONS_BUCKET,),
    routers=(router,),
    make_deps=Feedback.from_runtime,
    background=(overdue_sweeper,),
)


def create_app(settings: FeedbackSettings | None = None) -> FastAPI:
    return create_service_app(definition, settings or FeedbackSettings())
