"""Settings of the vault service (environment variables with the KHO_ prefix)."""

from __future__ import annotations

from kho_platform.settings import PlatformSettings
from pydantic import Field

DEFAULT_POLICIES = {
    "issued_result": "government-result",
    "certified_copy": "government-result",
    "digitized_component": "any-qualified",
    "own_upload": "any-qualified",
}


class VaultSettings(PlatformSettings):
    service_name: str = "vault"
    http_port: int = 8101

    vault_shards: int = Field(
        default=1024,
        ge=1,
        le=65536,
        description="collections the owners' vaults are spread over; fixed once data exists (see README)",
    )
    vault_max_file_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    vault_max_pages: int = Field(default=2000, ge=1)
    vault_restore_days: int = Field(default=30, ge=0, description="how long a deleted document can be restored")
    vault_presign_seconds: int = Field(default=300, ge=10, le=3600)
    vault_page_size: int = Field(default=20, ge=1, le=100)
    vault_max_page_size: int = Field(default=100, ge=1, le=1000)
    vault_orphan_grace_seconds: float = Field(
        default=600.0, ge=0, description="age after which an object not recorded in the database is removed"
    )
    vault_sweep_seconds: float = Field(default=60.0, gt=0)
    vault_categories_file: str = Field(default="", description="JSON catalogue of categories (default: built in)")
    vault_signature_policies: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_POLICIES),
        description="signature policy per document type (issued results need a Ban Cơ yếu signature)",
    )
    vault_candidate_limit: int = Field(default=10, ge=1, le=100)
