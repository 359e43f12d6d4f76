"""The feedback service: citizens' disputes of electronic results."""

from __future__ import annotations

from fastapi import FastAPI
from kho_contracts.events import ResultDisputed
from kho_platform.service import Runtime, ServiceDefinition, create_service_app

from kho_feedback.api import router
from kho_feedback.repository import DISPUTES, INDEXES, DisputeRepository
from kho_feedback.settings import FeedbackSettings


def make_deps(runtime: Runtime) -> DisputeRepository:
    return DisputeRepository(runtime)


definition = ServiceDefinition(
    name="feedback",
    title="Kho dữ liệu: feedback service",
    description="Disputes of electronic results (phản ánh về kết quả giải quyết).",
    produces=(ResultDisputed,),
    outbox_collections=(DISPUTES,),
    indexes=INDEXES,
    routers=(router,),
    make_deps=make_deps,
)


def create_app(settings: FeedbackSettings | None = None) -> FastAPI:
    return create_service_app(definition, settings or FeedbackSettings())
