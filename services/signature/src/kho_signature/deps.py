"""What the HTTP handlers and event handlers share: the validation pool, the revocation cache and its
refresher, the trust store, the signing keys and where reports are kept."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from kho_platform.logging import get_logger
from kho_platform.mongo import CollectionIndexes, Document
from kho_platform.outbox import new_document_with_events
from kho_platform.service import Runtime
from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from kho_signature.revocation import Refresher, RevocationCache
from kho_signature.settings import SignatureSettings
from kho_signature.signing.keys import KeyRing
from kho_signature.signing.signer import Level, SignatureOptions, SigningMaterial, async_sign_pdf
from kho_signature.trust import TrustStore
from kho_signature.validation.pool import ValidationPool, WorkerConfig
from kho_signature.validation.report import ValidationReport

log = get_logger(__name__)

VALIDATIONS = "validations"
REPORTS_BUCKET = "signature-reports"
SIGNED_BUCKET = "signature-signed"
INDEXES = (
    CollectionIndexes(
        VALIDATIONS,
        (
            IndexModel([("sha256", ASCENDING)], name="sha256"),
            IndexModel([("document_id", ASCENDING)], name="document_id"),
        ),
    ),
)


def xml_key(validation_id: str) -> str:
    return f"validations/{validation_id}.etsi.xml"


@dataclass
class SignatureService:
    runtime: Runtime
    settings: SignatureSettings
    trust: TrustStore
    cache: RevocationCache
    refresher: Refresher
    pool: ValidationPool
    keys: KeyRing

    @classmethod
    def build(cls, runtime: Runtime) -> SignatureService:
        settings = runtime.settings
        assert isinstance(settings, SignatureSettings)
        trust = TrustStore.from_files(
            settings.government_paths(), settings.public_paths(), settings.intermediate_paths()
        )
        cache = RevocationCache(settings.signature_revocation_dir)
        keys = KeyRing(dict(settings.signature_keys))
        refresher = Refresher(
            cache,
            issuers=trust.intermediates,
            crl_sources=settings.crl_sources(),
            rewrites=settings.rewrites(),
            timeout=settings.signature_fetch_timeout_seconds,
        )
        pool = ValidationPool(
            WorkerConfig(
                settings.government_paths(),
                settings.public_paths(),
                settings.intermediate_paths(),
                settings.signature_revocation_dir,
                settings.limits(),
            ),
            workers=settings.signature_workers,
        )
        return cls(runtime, settings, trust, cache, refresher, pool, keys)

    # --- validation -----------------------------------------------------------------------------------
    async def validate(self, pdf: bytes, policy: str) -> tuple[ValidationReport, str]:
        report, xml = await self.pool.validate(pdf, policy)
        for der in report.missing_revocation:
            self.cache.watch(asn1_x509.Certificate.load(base64.b64decode(der)))
        return report, xml

    async def validate_with_refresh(self, pdf: bytes, policy: str) -> tuple[ValidationReport, str]:
        """For background work (events): when the revocation status is unknown, fetch it now and validate
        once more. HTTP callers get TRY_LATER at once and the refresher catches up."""
        report, xml = await self.validate(pdf, policy)
        if report.sub_indication == "TRY_LATER" and report.missing_revocation:
            try:
                await asyncio.wait_for(
                    self.refresher.refresh_once(), timeout=self.settings.signature_fetch_timeout_seconds * 2
                )
            except Exception as exc:
                log.warning("on-demand revocation refresh failed", error=f"{type(exc).__name__}: {exc}")
            report, xml = await self.validate(pdf, policy)
        return report, xml

    async def put_object(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        s3 = self.runtime.s3
        await asyncio.to_thread(
            s3.put_object, self.runtime.bucket(bucket), key, io.BytesIO(data), len(data), content_type=content_type
        )

    async def get_object(self, bucket: str, key: str, max_bytes: int) -> bytes:
        def fetch() -> bytes:
            response = self.runtime.s3.get_object(bucket, key)
            try:
                data = response.read(max_bytes + 1)
            finally:
                response.close()
                response.release_conn()
            return bytes(data)

        return await asyncio.to_thread(fetch)

    async def store_report(
        self,
        validation_id: str,
        report: ValidationReport,
        xml: str,
        extra: dict[str, Any] | None = None,
        records: list[Any] | None = None,
    ) -> bool:
        """Saves the report (MongoDB) and its XML (S3); False when this validation id was stored before."""
        await self.put_object(REPORTS_BUCKET, xml_key(validation_id), xml.encode(), "application/xml")
        document: Document = {
            "_id": validation_id,
            **json.loads(report.model_dump_json()),
            "validated_at": report.validated_at,
            "xml_key": xml_key(validation_id),
            "created_at": datetime.now(UTC),
            **(extra or {}),
        }
        try:
            await self.runtime.db[VALIDATIONS].insert_one(new_document_with_events(document, records or []))
        except DuplicateKeyError:
            return False
        if records:
            self.runtime.relay.wake(VALIDATIONS, validation_id)
        return True

    # --- signing --------------------------------------------------------------------------------------
    async def sign(self, pdf: bytes, profile: str, options: SignatureOptions) -> bytes:
        key = self.keys.get(profile)
        material = SigningMaterial(
            timestamper=None,
            roots=self.trust.all_roots(),
            intermediates=[*self.trust.intermediates, *key.chain[1:]],
            revocation=self.cache.snapshot(),
        )
        tsa_url = self.settings.signature_tsa_url
        tsa_timeout = self.settings.signature_tsa_timeout_seconds

        async def run() -> bytes:
            from pyhanko.sign.timestamps.aiohttp_client import HTTPTimeStamper

            # without a session argument the client opens and closes one per request
            timestamper = HTTPTimeStamper(tsa_url, timeout=tsa_timeout) if tsa_url else None
            return await async_sign_pdf(
                pdf,
                key.signer,
                key.chain,
                SigningMaterial(timestamper, material.roots, material.intermediates, material.revocation),
                options,
            )

        def in_thread() -> bytes:
            with self.keys.lock(profile):  # one PKCS#11 session per profile: one signature at a time
                return asyncio.run(run())

        return await asyncio.to_thread(in_thread)

    def default_level(self) -> Level:
        level = self.settings.signature_default_level
        return level if level in ("B-T", "B-LT", "B-LTA") else "B-LT"  # type: ignore[return-value]


def validation_id_for(document_id: str, version: int, policy: str, sha256: str) -> str:
    """Deterministic, so that a redelivered event finds its earlier result."""
    return "doc-" + hashlib.sha256(f"{document_id}:{version}:{policy}:{sha256}".encode()).hexdigest()[:32]
