"""What the vault does with the events it consumes: signature verdicts, issued results and certified copies,
returned results, submitted dossiers (usage and officials' access), disputes and their resolution.

Every reaction is idempotent by the state it changes (a verdict applies to a version still in quarantine, an
issued result is stored under its result id once, a dossier counts once per document, a dispute id once), so
a redelivered event changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kho_contracts.common import DocumentType, ObjectRef, OwnerKind, StoreKind
from kho_contracts.events import (
    CertifiedCopyIssued,
    DisputeResolved,
    DocumentRejected,
    DocumentReplaced,
    DocumentStored,
    DocumentUsed,
    DossierSubmitted,
    ResultDisputed,
    ResultIssued,
    ResultReturned,
    SignatureRejected,
    SignatureVerified,
)
from kho_platform.consumer import PermanentError
from kho_platform.logging import get_logger

from kho_vault.adapters.objects import ObjectMissing
from kho_vault.adapters.vaults import DocumentOwnerConflict, Vault
from kho_vault.documents import DocumentService, object_key
from kho_vault.domain import codes
from kho_vault.domain.document import (
    ACTIVE,
    DISPUTED,
    PENDING,
    REJECTED,
    SUPERSEDED,
    Entry,
    current_version,
    file_record,
    iso,
    latest_version_number,
    now,
    object_ref,
    touch,
    version_of,
)
from kho_vault.domain.pdf import sha256_of

log = get_logger(__name__)


class Reactions:
    def __init__(self, documents: DocumentService) -> None:
        self.d = documents

    # --- signature verdicts --------------------------------------------------------------------------

    async def verdict(self, event: SignatureVerified | SignatureRejected) -> None:
        passed = isinstance(event, SignatureVerified)
        owner_id = await self.d.store.owner_of(event.document_id)
        if owner_id is None:
            raise PermanentError(f"verdict for unknown document {event.document_id}")
        stored_key: str | None = None
        quarantine_key: str | None = None
        async with self.d.store.change(owner_id) as vault:
            entry = vault.find(event.document_id)
            version = version_of(entry, event.version) if entry else None
            if entry is None or version is None:
                raise PermanentError(f"verdict for unknown document version {event.document_id} v{event.version}")
            if version["sha256"] != event.sha256:
                raise PermanentError(f"verdict for another file than version {event.version} of {event.document_id}")
            if version["stage"] != "quarantine":
                return  # already applied
            verdict = {
                "indication": event.indication.value,
                "sub_indication": event.sub_indication,
                "message_vi": event.message_vi,
                "message_en": event.message_en,
                "policy": event.policy,
                "report_key": event.report_key,
                "validation_id": event.validation_id,
                "signers": [s.model_dump(mode="json") for s in event.signers],
                "at": now(),
            }
            version["verdict"] = verdict
            if entry.get("pending_version") == event.version:
                entry["pending_version"] = None
            if passed:
                quarantine_key = version["key"]
                stored_key = object_key("documents", owner_id, entry["id"], event.version, version["sha256"])
                await self.d.objects.copy_within(quarantine_key, stored_key, owner_id=owner_id, document_id=entry["id"])
                version.update(stage="stored", status=ACTIVE, key=stored_key, quarantine_key=quarantine_key)
                self._accept(vault, entry, version, verdict)
            else:
                version.update(stage="rejected", status=REJECTED)
                self._reject(vault, entry, version, event)
            touch(entry)
        if stored_key:
            await self.d.objects.settle(stored_key)
        if quarantine_key:
            try:
                await self.d.objects.remove(quarantine_key)
            except Exception as exc:  # the stored copy is recorded; a leftover quarantine copy is harmless
                log.warning("quarantine copy not removed", key=quarantine_key, error=str(exc))

    def _accept(self, vault: Vault, entry: Entry, version: Entry, verdict: dict[str, Any]) -> None:
        record = self.d.runtime.record
        if entry["status"] == PENDING or entry["current_version"] == version["version"]:
            entry["status"] = ACTIVE
            entry["current_version"] = version["version"]
            entry["verdict"] = verdict
            vault.emit(record(self._stored_event(entry)))
            return
        previous = entry["current_version"]
        entry["current_version"] = version["version"]
        entry["verdict"] = verdict
        vault.emit(
            record(
                DocumentReplaced(
                    document_id=entry["id"],
                    owner_id=entry["owner_id"],
                    version=version["version"],
                    previous_version=previous,
                    file=ObjectRef(**{k: version[k] for k in ("bucket", "key", "sha256", "size", "content_type")}),
                    reason=version.get("reason") or "replaced",
                )
            )
        )

    def _reject(self, vault: Vault, entry: Entry, version: Entry, event: SignatureRejected | SignatureVerified) -> None:
        if entry["status"] == PENDING and entry["current_version"] == version["version"]:
            entry["status"] = REJECTED
            entry["verdict"] = version["verdict"]
            entry["status_reason_vi"] = event.message_vi
            entry["status_reason_en"] = event.message_en
        vault.emit(
            self.d.runtime.record(
                DocumentRejected(
                    document_id=entry["id"],
                    version=version["version"],
                    owner_id=entry["owner_id"],
                    name=entry["name"],
                    indication=event.indication.value,
                    sub_indication=event.sub_indication,
                    reason_vi=event.message_vi,
                    reason_en=event.message_en,
                )
            )
        )

    @staticmethod
    def _stored_event(entry: Entry) -> DocumentStored:
        return DocumentStored(
            document_id=entry["id"],
            version=entry["current_version"],
            owner_id=entry["owner_id"],
            owner_name=entry.get("owner_name"),
            document_code=entry["document_code"],
            document_type=DocumentType(entry["document_type"]),
            store_kind=StoreKind(entry["store_kind"]),
            category_code=entry.get("category_code"),
            result_code=entry.get("result_code"),
            name=entry["name"],
            issuing_agency_code=entry.get("issuing_agency_code"),
            issuing_agency_name=entry.get("issuing_agency_name"),
            file=object_ref(current_version(entry)),
            hidden=bool(entry.get("hidden_until_returned")),
        )

    # --- issued results and certified copies ---------------------------------------------------------

    async def _fetch_signed(self, ref: ObjectRef) -> bytes:
        try:
            data = await self.d.objects.get(ref.key, ref.bucket)
        except ObjectMissing:
            raise  # perhaps not visible yet: retried, then dead-lettered
        if sha256_of(data) != ref.sha256 or len(data) != ref.size:
            raise PermanentError(f"the file {ref.bucket}/{ref.key} does not match the SHA-256 and size of the event")
        return data

    async def issued(self, event: ResultIssued | CertifiedCopyIssued) -> None:
        owner_id = event.owner_id
        existing = await self.d.store.read(owner_id)
        if existing and any(e["id"] == event.result_id for e in existing.get("documents") or []):
            return
        try:
            await self.d.store.claim_document_id(event.result_id, owner_id)
        except DocumentOwnerConflict as exc:
            raise PermanentError(f"document id {event.result_id} belongs to another owner") from exc
        data = await self._fetch_signed(event.file)
        key = object_key("documents", owner_id, event.result_id, 1, event.file.sha256)
        await self.d.objects.put(key, data, owner_id=owner_id, document_id=event.result_id, sha256=event.file.sha256)
        ref = ObjectRef(bucket=self.d.objects.bucket, key=key, sha256=event.file.sha256, size=event.file.size)
        catalogue = self.d.catalogue
        async with self.d.store.change(owner_id) as vault:
            if vault.find(event.result_id):
                return
            if event.owner_name and not vault.doc.get("owner_name"):
                vault.doc["owner_name"] = event.owner_name
            taken = vault.codes()
            if isinstance(event, ResultIssued):
                category = catalogue.get(event.category_code) or catalogue.by_result_code(event.result_code)
                document_type = DocumentType.ISSUED_RESULT
                result_code: str | None = event.result_code
                code = codes.issued_result_code(
                    owner_id, event.result_code, event.document_number, event.issue_date, taken
                )
                hidden = event.hidden_until_returned
            else:
                category = catalogue.get(event.category_code) or catalogue.get("BSCT")
                document_type = DocumentType.CERTIFIED_COPY
                result_code = None
                source = event.source_document_code or (category.result_code if category else None) or "BSCT"
                code = codes.certified_copy_code(owner_id, source, taken)
                hidden = False
            at = now()
            entry: Entry = {
                "id": event.result_id,
                "owner_id": owner_id,
                "owner_kind": OwnerKind(event.owner_kind).value,
                "owner_name": event.owner_name,
                "document_type": document_type.value,
                "store_kind": StoreKind.AGENCY_ISSUED.value,
                "category_code": category.code if category else event.category_code,
                "category_name": category.name if category else None,
                "result_code": result_code,
                "name": event.name,
                "document_code": code,
                "document_number": event.document_number,
                "decision_number": getattr(event, "decision_number", None),
                "summary": getattr(event, "summary", None),
                "issuing_agency_code": event.agency_code,
                "issuing_agency_name": event.agency_name,
                "issue_date": iso(event.issue_date),
                "valid_until": iso(event.valid_until),
                "procedure_code": event.procedure_code,
                "source_dossier_id": event.dossier_id,
                "source_dossier_code": event.dossier_code,
                "component_code": None,
                "status": ACTIVE,
                "policy": None,
                "verdict": {"indication": None, "source": "issued_by_agency", "at": at},
                "visible": True,
                "shared": False,
                "shared_with_agencies": [],
                "hidden_until_returned": hidden,
                "usage_count": 0,
                "used_in": [],
                "attached_to": [],
                "dispute": None,
                "current_version": 1,
                "pending_version": None,
                "versions": [
                    file_record(
                        ref, version=1, pages=event.pages, stage="stored", reason="issued", by=event.agency_code
                    )
                ],
                "created_at": at,
                "created_by": f"agency:{event.agency_code}",
            }
            if isinstance(event, CertifiedCopyIssued):
                entry["certification"] = {
                    "number": event.certification_number,
                    "book_code": event.book_code,
                    "book_year": event.book_year,
                    "fee_vnd": event.fee_vnd,
                }
            supersedes = getattr(event, "supersedes_document_id", None)
            if supersedes:
                old = vault.find(supersedes)
                if old is None:
                    log.warning("superseded document not in the owner's vault", document_id=supersedes)
                else:
                    old["status"] = SUPERSEDED
                    old["superseded_by"] = event.result_id
                    old["dispute"] = None
                    touch(old)
                    entry["supersedes"] = supersedes
            touch(entry)
            vault.add(entry)
            vault.emit(self.d.runtime.record(self._stored_event(entry)))
        await self.d.objects.settle(key)

    async def returned(self, event: ResultReturned) -> None:
        async with self.d.store.change(event.owner_id) as vault:
            for result_id in event.result_ids:
                entry = vault.find(result_id)
                if entry is not None and entry.get("hidden_until_returned"):
                    entry["hidden_until_returned"] = False
                    entry["returned_at"] = event.returned_at
                    touch(entry)
                    vault.mark_changed()

    # --- dossiers: usage and officials' access -------------------------------------------------------

    async def dossier_submitted(self, event: DossierSubmitted) -> None:
        async with self.d.store.change(event.owner_id) as vault:
            received: list[str] = vault.doc.setdefault("received_by", [])
            if event.agency_code not in received:
                received.append(event.agency_code)
                vault.mark_changed()
            for component in event.components:
                entry = vault.find(component.document_id) if component.document_id else None
                if entry is None:
                    continue
                attached: list[dict[str, Any]] = entry.setdefault("attached_to", [])
                if not any(a.get("dossier_id") == event.dossier_id for a in attached):
                    attached.append({"dossier_id": event.dossier_id, "agency_code": event.agency_code})
                    vault.mark_changed()
                used: list[dict[str, Any]] = entry.setdefault("used_in", [])
                reused = component.reused or component.from_personal_vault
                if reused and not any(u["dossier_id"] == event.dossier_id for u in used):
                    used.append(
                        {
                            "dossier_id": event.dossier_id,
                            "dossier_code": event.dossier_code,
                            "agency_code": event.agency_code,
                            "component_code": component.component_code,
                            "at": event.submitted_at,
                        }
                    )
                    entry["usage_count"] = len(used)
                    touch(entry)
                    vault.emit(
                        self.d.runtime.record(
                            DocumentUsed(
                                document_id=entry["id"],
                                owner_id=entry["owner_id"],
                                dossier_id=event.dossier_id,
                                dossier_code=event.dossier_code,
                                usage_count=entry["usage_count"],
                                used_at=event.submitted_at,
                            )
                        )
                    )

    # --- disputes ------------------------------------------------------------------------------------

    async def _disputed_entry(self, vault: Vault, document_id: str, owner_id: str) -> Entry:
        entry = vault.find(document_id)
        if entry is None:
            raise PermanentError(f"dispute about document {document_id}, which is not in {owner_id}'s vault")
        return entry

    async def disputed(self, event: ResultDisputed) -> None:
        owner_id = await self.d.store.owner_of(event.document_id)
        if owner_id is None or owner_id != event.owner_id:
            raise PermanentError(f"dispute about unknown document {event.document_id} of {event.owner_id}")
        async with self.d.store.change(owner_id) as vault:
            entry = await self._disputed_entry(vault, event.document_id, owner_id)
            if (
                event.dispute_id in (entry.get("resolved_disputes") or [])
                or (entry.get("dispute") or {}).get("dispute_id") == event.dispute_id
            ):
                return
            entry["dispute"] = {
                "dispute_id": event.dispute_id,
                "reason": event.reason.value,
                "agency_code": event.agency_code,
                "opened_at": event.opened_at,
            }
            if entry["status"] == ACTIVE:
                entry["status_before_dispute"] = ACTIVE
                entry["status"] = DISPUTED
            touch(entry)
            vault.mark_changed()

    async def dispute_resolved(self, event: DisputeResolved) -> None:
        owner_id = await self.d.store.owner_of(event.document_id)
        if owner_id is None or owner_id != event.owner_id:
            raise PermanentError(f"resolution about unknown document {event.document_id} of {event.owner_id}")
        corrected: bytes | None = None
        if event.outcome == "corrected" and event.corrected_file is not None:
            corrected = await self._fetch_signed(event.corrected_file)
        new_key: str | None = None
        async with self.d.store.change(owner_id) as vault:
            entry = await self._disputed_entry(vault, event.document_id, owner_id)
            if event.dispute_id in (entry.get("resolved_disputes") or []):
                return
            entry.setdefault("resolved_disputes", []).append(event.dispute_id)
            entry["dispute"] = None
            entry["last_resolution"] = {
                "dispute_id": event.dispute_id,
                "outcome": event.outcome,
                "explanation": event.explanation,
                "resolved_by": event.resolved_by,
                "resolved_at": event.resolved_at,
            }
            if corrected is not None and event.corrected_file is not None and entry["status"] != SUPERSEDED:
                ref_in = event.corrected_file
                version = latest_version_number(entry) + 1
                new_key = object_key("documents", owner_id, entry["id"], version, ref_in.sha256)
                await self.d.objects.put(
                    new_key, corrected, owner_id=owner_id, document_id=entry["id"], sha256=ref_in.sha256
                )
                ref = ObjectRef(bucket=self.d.objects.bucket, key=new_key, sha256=ref_in.sha256, size=ref_in.size)
                previous = entry["current_version"]
                pages = current_version(entry).get("pages") or 1
                entry["versions"].append(
                    file_record(
                        ref,
                        version=version,
                        pages=pages,
                        stage="stored",
                        reason="dispute_corrected",
                        by=event.resolved_by,
                    )
                )
                entry["current_version"] = version
                entry["status"] = ACTIVE
                vault.emit(
                    self.d.runtime.record(
                        DocumentReplaced(
                            document_id=entry["id"],
                            owner_id=owner_id,
                            version=version,
                            previous_version=previous,
                            file=ref,
                            reason="dispute_corrected",
                        )
                    )
                )
            elif entry["status"] == DISPUTED and event.outcome == "rejected":
                entry["status"] = entry.pop("status_before_dispute", None) or ACTIVE
            touch(entry)
            vault.mark_changed()
        if new_key:
            await self.d.objects.settle(new_key)


def utcnow() -> datetime:
    return datetime.now(UTC)
