"""Settings of the submission service (environment variables with the KHO_ prefix)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from kho_platform.settings import PlatformSettings
from pydantic import Field


class SubmissionSettings(PlatformSettings):
    service_name: str = "submission"
    http_port: int = 8103

    vault_url: str = "http://127.0.0.1:8101"
    signature_url: str = "http://127.0.0.1:8102"

    reuse_target: float = Field(default=0.6, ge=0, le=1, description="target of indicator 4.3 (60% in 2024)")
    utc_offset_hours: int = Field(default=7, description="dossier codes and books use the local date (UTC+7)")
    seed_catalogue: bool = Field(default=True, description="load the built-in catalogue when it is empty")
    submit_recovery_seconds: float = Field(
        default=30.0, gt=0, description="an interrupted submit older than this is finished by the sweeper"
    )
    result_signing_profile: str = "result"
    certified_copy_signing_profile: str = "certified-copy"
    certification_book_code: str = "SCTĐT/BS"
    signature_level: str = Field(
        default="", description="PAdES level asked of the signature service; empty: its default"
    )

    @property
    def local_zone(self) -> timezone:
        return timezone(timedelta(hours=self.utc_offset_hours))

    def local_today(self, now: datetime | None = None) -> date:
        return (now or datetime.now(UTC)).astimezone(self.local_zone).date()
