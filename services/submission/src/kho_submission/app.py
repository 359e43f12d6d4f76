"""The submission service."""

from __future__ import annotations

from fastapi import FastAPI
from kho_platform.service import ServiceDefinition, create_service_app

from kho_submission.settings import SubmissionSettings

definition = ServiceDefinition(
    name="submission",
    title="Kho dữ liệu: submission service",
    description="",
)


def create_app(settings: SubmissionSettings | None = None) -> FastAPI:
    return create_service_app(definition, settings or SubmissionSettings())
