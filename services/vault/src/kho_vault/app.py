"""The vault service: the citizen's and organization's document vault (Kho dữ liệu cá nhân, tổ chức)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from kho_contracts.events import DocumentRejected, DocumentReplaced, DocumentStored, DocumentUploaded, DocumentUsed
from kho_platform.service import Runtime, ServiceDefinition, create_service_app

from kho_vault.adapters.audit import AccessLog
from kho_vault.adapters.objects import ObjectStore
from kho_vault.adapters.purges import PurgeSchedule
from kho_vault.adapters.vaults import VaultStore
from kho_vault.documents import DocumentService
from kho_vault.domain.catalogue import Catalogue
from kho_vault.entrypoints.api import router
from kho_vault.entrypoints.consumers import documents
from kho_vault.entrypoints.jobs import run_relay, run_sweeper
from kho_vault.reactions import Reactions
from kho_vault.settings import VaultSettings

BUCKET = "vault"


@dataclass
class VaultDeps:
    settings: VaultSettings
    store: VaultStore
    objects: ObjectStore
    purges: PurgeSchedule
    documents: DocumentService
    reactions: Reactions


def make_deps_for(settings: VaultSettings) -> object:
    catalogue = Catalogue.load(settings.vault_categories_file)

    def make_deps(runtime: Runtime) -> VaultDeps:
        store = VaultStore(runtime.db, settings.vault_shards)
        objects = ObjectStore(runtime.s3, runtime.bucket(BUCKET), runtime.db)
        purges = PurgeSchedule(runtime.db)
        docs = DocumentService(
            runtime, settings, store, objects, AccessLog(runtime.db, settings.vault_shards), catalogue, purges
        )
        return VaultDeps(settings, store, objects, purges, docs, Reactions(docs))

    return make_deps


def definition_for(settings: VaultSettings) -> ServiceDefinition:
    return ServiceDefinition(
        name="vault",
        title="Kho dữ liệu: vault service",
        description="The owners' document vaults: add, verify, search, reuse, dispute (Kho dữ liệu cá nhân, tổ chức).",
        produces=(DocumentUploaded, DocumentStored, DocumentRejected, DocumentReplaced, DocumentUsed),
        subscriptions=(documents,),
        buckets=(BUCKET,),
        routers=(router,),
        make_deps=make_deps_for(settings),  # type: ignore[arg-type]
        background=(run_relay, run_sweeper),
    )


def create_app(settings: VaultSettings | None = None) -> FastAPI:
    settings = settings or VaultSettings()
    return create_service_app(definition_for(settings), settings)
