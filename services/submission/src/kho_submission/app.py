"""The submission service's composition root: adapters wired into the use cases, the HTTP API, the
consumers, the background sweeper."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from kho_contracts.events import (
    CertifiedCopyIssued,
    DossierAccepted,
    DossierRejected,
    DossierSubmitted,
    ResultIssued,
    ResultReturned,
    SupplementRequested,
)
from kho_platform.logging import get_logger
from kho_platform.service import Runtime, ServiceDefinition, create_service_app

from kho_submission.adapters.numbering import GaplessNumbers
from kho_submission.adapters.repository import (
    CERTIFICATIONS,
    DOSSIERS,
    INDEXES,
    NUMBERS,
    CatalogueRepository,
    CertificationRepository,
    DisputedDocuments,
    DossierRepository,
)
from kho_submission.adapters.signature_client import HttpSignatureClient, SignaturePort
from kho_submission.adapters.vault_client import HttpVaultClient, VaultPort
from kho_submission.domain.errors import DomainError
from kho_submission.entrypoints.api import ROUTERS
from kho_submission.entrypoints.consumers import disputes
from kho_submission.entrypoints.deps import domain_error
from kho_submission.service_layer import catalogue as catalogue_uc
from kho_submission.service_layer import dossiers as dossier_uc
from kho_submission.service_layer.context import FILES_BUCKET, Context, Files
from kho_submission.settings import SubmissionSettings

log = get_logger(__name__)


def build_context(runtime: Runtime, vault: VaultPort | None = None, signature: SignaturePort | None = None) -> Context:
    settings = runtime.settings
    assert isinstance(settings, SubmissionSettings)
    return Context(
        settings=settings,
        catalogue=CatalogueRepository(runtime.db),
        dossiers=DossierRepository(runtime.db, runtime.relay),
        certifications=CertificationRepository(runtime.db),
        disputed=DisputedDocuments(runtime.db),
        numbers=GaplessNumbers(runtime.db[NUMBERS]),
        vault=vault or HttpVaultClient(settings.vault_url),
        signature=signature or HttpSignatureClient(settings.signature_url),
        files=Files(runtime.s3, runtime.bucket(FILES_BUCKET)),
        record=runtime.record,
        wake=runtime.relay.wake,
    )


async def seed_catalogue(runtime: Runtime, ctx: Any) -> None:
    assert isinstance(ctx, Context)
    if ctx.settings.seed_catalogue:
        await catalogue_uc.seed_if_empty(ctx.catalogue)


async def submit_sweeper(runtime: Runtime, ctx: Any) -> None:
    """Finishes submits interrupted between the number reservation and the final write."""
    assert isinstance(ctx, Context)
    while True:
        try:
            done = await dossier_uc.finish_interrupted(ctx)
            if done:
                log.warning("finished interrupted submits", count=done)
        except Exception as exc:
            log.warning("submit sweeper failed, will retry", error=str(exc))
        await asyncio.sleep(min(ctx.settings.submit_recovery_seconds, 60.0))


def definition(vault: VaultPort | None = None, signature: SignaturePort | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        name="submission",
        title="Kho dữ liệu: submission service",
        description=(
            "Procedure catalogue, online dossiers that reuse the owner's vault, the agency's desk, signed "
            "results, electronic certification of copies and the reuse KPI."
        ),
        produces=(
            DossierSubmitted,
            DossierAccepted,
            SupplementRequested,
            DossierRejected,
            ResultReturned,
            ResultIssued,
            CertifiedCopyIssued,
        ),
        subscriptions=(disputes,),
        outbox_collections=(DOSSIERS, CERTIFICATIONS),
        indexes=INDEXES,
        buckets=(FILES_BUCKET,),
        routers=ROUTERS,
        make_deps=lambda runtime: build_context(runtime, vault, signature),
        background=(seed_catalogue, submit_sweeper),
    )


def create_app(
    settings: SubmissionSettings | None = None,
    *,
    vault: VaultPort | None = None,
    signature: SignaturePort | None = None,
) -> FastAPI:
    app = create_service_app(definition(vault, signature), settings or SubmissionSettings())
    app.add_exception_handler(DomainError, domain_error)
    return app


__all__ = ["create_app", "definition"]
