"""The vault service."""

from __future__ import annotations

from fastapi import FastAPI
from kho_platform.service import ServiceDefinition, create_service_app

from kho_vault.settings import VaultSettings

definition = ServiceDefinition(
    name="vault",
    title="Kho dữ liệu: vault service",
    description="",
)


def create_app(settings: VaultSettings | None = None) -> FastAPI:
    return create_service_app(definition, settings or VaultSettings())
