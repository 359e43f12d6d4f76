"""What every use case needs: the adapters (repositories, vault, signature, object store), the clock, the
settings, and the caller."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kho_contracts import Event
from kho_contracts.common import ObjectRef
from kho_platform.auth import Principal
from minio import Minio

from kho_submission.adapters.numbering import GaplessNumbers
from kho_submission.adapters.repository import (
    CatalogueRepository,
    CertificationRepository,
    DisputedDocuments,
    DossierRepository,
    KeyedLocks,
)
from kho_submission.adapters.signature_client import SignaturePort
from kho_submission.adapters.vault_client import VaultPort
from kho_submission.domain.errors import Forbidden
from kho_submission.settings import SubmissionSettings

FILES_BUCKET = "submission-files"


@dataclass(frozen=True)
class Caller:
    principal: Principal
    token: str

    @property
    def who(self) -> str:
        return self.principal.subject

    def require_officer(self, agency_code: str, role: str) -> None:
        p = self.principal
        if not p.is_officer or p.agency_code != agency_code:
            raise Forbidden(
                f"only officers of agency {agency_code} may do this",
                "Chỉ cán bộ của cơ quan tiếp nhận hồ sơ mới được thực hiện thao tác này",
                code="other_agency",
            )
        if not p.has_role(role):
            raise Forbidden(
                f"this needs the {role} role",
                "Bạn không có vai trò phù hợp để thực hiện thao tác này",
                code="wrong_role",
            )


@dataclass
class Files:
    """The service's bucket of generated results, certified copies and scans."""

    s3: Minio
    bucket: str

    async def put(self, key: str, data: bytes, content_type: str = "application/pdf") -> ObjectRef:
        def upload() -> None:
            self.s3.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type)

        await asyncio.to_thread(upload)
        return ObjectRef(
            bucket=self.bucket,
            key=key,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            content_type=content_type,
        )

    async def get(self, key: str) -> bytes:
        def download() -> bytes:
            response = self.s3.get_object(self.bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return await asyncio.to_thread(download)


@dataclass
class Context:
    settings: SubmissionSettings
    catalogue: CatalogueRepository
    dossiers: DossierRepository
    certifications: CertificationRepository
    disputed: DisputedDocuments
    numbers: GaplessNumbers
    vault: VaultPort
    signature: SignaturePort
    files: Files
    record: Callable[[Event], Any]
    wake: Callable[[str, Any], None]
    """Tells the outbox relay which document (collection, _id) has new events: it publishes them at once."""
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
