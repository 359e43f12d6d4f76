"""The signature service: validates signed PDFs (HTTP and DocumentUploaded events) and signs certified
copies and results."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from kho_contracts.events import SignatureRejected, SignatureVerified
from kho_platform.service import Runtime, ServiceDefinition, create_service_app

from kho_signature.api import router
from kho_signature.consumers import verdicts
from kho_signature.deps import INDEXES, REPORTS_BUCKET, SIGNED_BUCKET, VALIDATIONS, SignatureService
from kho_signature.settings import SignatureSettings


def make_deps(runtime: Runtime) -> SignatureService:
    return SignatureService.build(runtime)


async def run_validation_pool(runtime: Runtime, service: Any) -> None:
    """Starts the worker processes once, and stops them when the service stops."""
    assert isinstance(service, SignatureService)
    await service.pool.start()
    try:
        await asyncio.Event().wait()
    finally:
        await service.pool.close()
        service.keys.close()


async def run_revocation_refresher(runtime: Runtime, service: Any) -> None:
    assert isinstance(service, SignatureService)
    await service.refresher.run(service.settings.signature_revocation_refresh_seconds)


definition = ServiceDefinition(
    name="signature",
    title="Kho dữ liệu: signature service",
    description="Validation of PAdES signatures (ETSI verdicts, two trust-anchor sets) and signing of "
    "certified copies and results.",
    produces=(SignatureVerified, SignatureRejected),
    subscriptions=(verdicts,),
    outbox_collections=(VALIDATIONS,),
    indexes=INDEXES,
    buckets=(REPORTS_BUCKET, SIGNED_BUCKET),
    routers=(router,),
    make_deps=make_deps,
    background=(run_validation_pool, run_revocation_refresher),
)


def create_app(settings: SignatureSettings | None = None) -> FastAPI:
    return create_service_app(definition, settings or SignatureSettings())
