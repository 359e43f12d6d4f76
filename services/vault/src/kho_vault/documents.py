"""The vault's use cases behind the HTTP API: add, read, search, replace, hide, delete, restore, download,
candidates. Entry points translate requests into these calls; rules live in domain/, storage in adapters/."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from kho_contracts.common import DocumentType, ObjectRef, OwnerKind, StoreKind, identity_kind
from kho_contracts.events import DocumentUploaded
from kho_platform.auth import Principal
from kho_platform.errors import ApiError, not_found
from kho_platform.service import Runtime

from kho_vault.adapters.audit import AccessLog
from kho_vault.adapters.objects import ObjectMissing, ObjectStore
from kho_vault.adapters.purges import PurgeSchedule
from kho_vault.adapters.vaults import DocumentOwnerConflict, Vault, VaultStore
from kho_vault.domain import codes
from kho_vault.domain.access import (
    acts_as_owner,
    agency_received_owner,
    may_read,
    officer_agency,
    officer_may_read,
)
from kho_vault.domain.candidates import ComponentNeed, rank
from kho_vault.domain.catalogue import Catalogue, Category
from kho_vault.domain.document import (
    ACTIVE,
    DELETED,
    PENDING,
    REJECTED,
    Entry,
    current_version,
    file_record,
    iso,
    latest_version_number,
    mark_deleted,
    now,
    restore,
    touch,
    version_of,
)
from kho_vault.domain.pdf import FileProblem, inspect_pdf, sha256_of
from kho_vault.domain.search import Page, SearchQuery, matching, page_of
from kho_vault.settings import VaultSettings

GONE = (DELETED, REJECTED)  # a file of a deleted or rejected document may be added again
DOCUMENT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")


def bad_request(code: str, detail: str, detail_vi: str, status: int = 422, **extra: Any) -> ApiError:
    return ApiError(status, code, detail, detail_vi, **extra)


def problem_of(exc: FileProblem) -> ApiError:
    return ApiError(exc.status, exc.code, exc.detail, exc.detail_vi)


@dataclass(frozen=True)
class NewDocument:
    """What the owner (or an officer digitizing a component) gives when adding a document."""

    owner_id: str | None
    document_type: DocumentType
    category_code: str
    name: str
    document_number: str | None = None
    decision_number: str | None = None
    summary: str | None = None
    issuing_agency_code: str | None = None
    issuing_agency_name: str | None = None
    issue_date: date | None = None
    valid_until: date | None = None
    procedure_code: str | None = None
    dossier_id: str | None = None
    component_code: str | None = None
    visible: bool = True
    shared: bool = False


@dataclass(frozen=True)
class Loaded:
    owner_id: str
    entry: Entry


def object_key(stage: str, owner_id: str, document_id: str, version: int, sha256: str) -> str:
    return f"{stage}/{owner_id}/{document_id}/v{version}-{sha256[:16]}.pdf"


def check_document_id(document_id: str) -> None:
    if not DOCUMENT_ID_RE.match(document_id):
        raise not_found("document")


def owner_kind_of(owner_id: str) -> OwnerKind:
    kind = identity_kind(owner_id)
    if kind is None:
        raise bad_request(
            "invalid_identity_number",
            "owner_id must be a 12-digit CCCD, a 9-digit CMND or a 10-digit (or 10-3) tax code",
            "Số định danh không hợp lệ (CCCD 12 số, CMND 9 số hoặc mã số thuế 10 số / 10-3 số)",
        )
    return kind


class DocumentService:
    def __init__(
        self,
        runtime: Runtime,
        settings: VaultSettings,
        store: VaultStore,
        objects: ObjectStore,
        accesses: AccessLog,
        catalogue: Catalogue,
        purges: PurgeSchedule,
    ) -> None:
        self.purges = purges
        self.runtime = runtime
        self.settings = settings
        self.store = store
        self.objects = objects
        self.accesses = accesses
        self.catalogue = catalogue

    # --- loading with authorization ------------------------------------------------------------------

    async def _locate(self, document_id: str) -> str:
        check_document_id(document_id)
        owner_id = await self.store.owner_of(document_id)
        if owner_id is None:
            raise not_found("document")
        return owner_id

    async def readable(self, principal: Principal, document_id: str) -> Loaded:
        owner_id = await self._locate(document_id)
        vault = await self.store.read(owner_id)
        entry = next((e for e in (vault or {}).get("documents") or [] if e["id"] == document_id), None)
        if entry is None or not may_read(principal, entry):
            raise not_found("document")
        return Loaded(owner_id, entry)

    def _owned(self, principal: Principal, vault: Vault, document_id: str) -> Entry:
        entry = vault.find(document_id)
        if entry is None or not acts_as_owner(principal, vault.owner_id) or not may_read(principal, entry):
            raise not_found("document")
        return entry

    # --- add -----------------------------------------------------------------------------------------

    def _category(self, code: str) -> Category:
        category = self.catalogue.get(code)
        if category is None:
            raise bad_request(
                "unknown_category",
                f"unknown category {code!r} (see GET /v1/categories)",
                "Danh mục giấy tờ không tồn tại",
            )
        return category

    def _owner_for_upload(self, principal: Principal, wanted: str | None, document_type: DocumentType) -> str:
        if principal.actor in ("citizen", "organization"):
            owner_id = wanted or principal.identity_number
            if not owner_id:
                raise bad_request("owner_required", "owner_id is required", "Vui lòng nhập số định danh chủ sở hữu")
            owner_kind_of(owner_id)
            if not acts_as_owner(principal, owner_id):
                raise ApiError(
                    403,
                    "not_owner",
                    "you may add documents only to your own vault or one you represent",
                    "Bạn chỉ có thể thêm giấy tờ vào kho dữ liệu của mình hoặc của tổ chức mà bạn đại diện",
                )
            return owner_id
        if principal.is_officer and principal.agency_code:
            if not wanted:
                raise bad_request("owner_required", "owner_id is required", "Vui lòng nhập số định danh chủ sở hữu")
            owner_kind_of(wanted)
            if document_type != DocumentType.DIGITIZED_COMPONENT:
                raise ApiError(
                    403,
                    "officer_digitized_only",
                    "officers may add only digitized components of dossiers their agency received",
                    "Cán bộ chỉ được thêm thành phần hồ sơ số hóa của hồ sơ do cơ quan mình tiếp nhận",
                )
            return wanted
        raise ApiError(403, "forbidden", "you may not add documents", "Bạn không có quyền thêm giấy tờ")

    def _check_dates(self, new: NewDocument) -> None:
        today = datetime.now(UTC).date()
        if new.issue_date and new.issue_date > today:
            raise bad_request("issue_date_in_future", "issue_date is in the future", "Ngày cấp không được sau hôm nay")
        if new.valid_until and new.issue_date and new.valid_until < new.issue_date:
            raise bad_request(
                "valid_until_before_issue",
                "valid_until is before issue_date",
                "Ngày hết hiệu lực không được trước ngày cấp",
            )

    def _new_code(self, vault: Vault, new: NewDocument, category: Category, owner_id: str) -> tuple[str, str | None]:
        taken = vault.codes()
        if new.document_type == DocumentType.ISSUED_RESULT and category.result_code:
            day = new.issue_date or now().date()
            code = codes.issued_result_code(owner_id, category.result_code, new.document_number, day, taken)
            return code, category.result_code
        if new.document_type == DocumentType.DIGITIZED_COMPONENT:
            assert new.procedure_code
            code = codes.digitized_component_code(
                owner_id, new.procedure_code, new.component_code or category.code, taken
            )
            return code, category.result_code
        if new.document_type == DocumentType.CERTIFIED_COPY:
            return codes.certified_copy_code(owner_id, category.result_code or category.code, taken), None
        return codes.own_upload_code(owner_id, category.code, taken), category.result_code

    async def add(self, principal: Principal, new: NewDocument, data: bytes) -> tuple[Entry, bool]:
        """Stores a file in quarantine and the pending document; DocumentUploaded asks for the verdict.
        Returns (document, created); the same file added again by the same owner returns the first one."""
        category = self._category(new.category_code)
        owner_id = self._owner_for_upload(principal, new.owner_id, new.document_type)
        self._check_dates(new)
        if new.document_type == DocumentType.DIGITIZED_COMPONENT and not new.procedure_code:
            raise bad_request(
                "procedure_required",
                "procedure_code is required for a digitized component",
                "Vui lòng nhập mã thủ tục hành chính của thành phần hồ sơ số hóa",
            )
        try:
            pdf = inspect_pdf(
                data, max_bytes=self.settings.vault_max_file_bytes, max_pages=self.settings.vault_max_pages
            )
        except FileProblem as exc:
            raise problem_of(exc) from exc

        existing = await self.store.read(owner_id)
        if principal.is_officer:
            agency = officer_agency(principal)
            if existing is None or agency is None or not agency_received_owner(existing, agency):
                raise not_found("owner")
        for e in (existing or {}).get("documents") or []:
            if any(v["sha256"] == pdf.sha256 for v in e.get("versions") or []) and e["status"] not in GONE:
                return e, False

        document_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"kho-vault:{owner_id}:{pdf.sha256}"))
        if any(e["id"] == document_id for e in (existing or {}).get("documents") or []):
            document_id = str(uuid.uuid4())  # the first document of this file was deleted or rejected
        try:
            await self.store.claim_document_id(document_id, owner_id)
        except DocumentOwnerConflict:
            document_id = str(uuid.uuid4())
            await self.store.claim_document_id(document_id, owner_id)
        key = object_key("quarantine", owner_id, document_id, 1, pdf.sha256)
        await self.objects.put(key, data, owner_id=owner_id, document_id=document_id, sha256=pdf.sha256)

        async with self.store.change(owner_id) as vault:
            for e in vault.entries:  # added meanwhile (a retried request)
                same_file = any(v["sha256"] == pdf.sha256 for v in e.get("versions") or [])
                if (same_file and e["status"] not in GONE) or e["id"] == document_id:
                    return e, False
            code, result_code = self._new_code(vault, new, category, owner_id)
            ref = ObjectRef(bucket=self.objects.bucket, key=key, sha256=pdf.sha256, size=pdf.size)
            at = now()
            store_kind = StoreKind.OWNER
            agency = officer_agency(principal)
            entry: Entry = {
                "id": document_id,
                "owner_id": owner_id,
                "owner_kind": owner_kind_of(owner_id).value,
                "owner_name": (
                    principal.name
                    if acts_as_owner(principal, owner_id) and owner_id == principal.identity_number
                    else None
                )
                or vault.doc.get("owner_name"),
                "document_type": new.document_type.value,
                "store_kind": store_kind.value,
                "category_code": category.code,
                "category_name": category.name,
                "result_code": result_code,
                "name": new.name,
                "document_code": code,
                "document_number": new.document_number,
                "decision_number": new.decision_number,
                "summary": new.summary,
                "issuing_agency_code": new.issuing_agency_code or agency,
                "issuing_agency_name": new.issuing_agency_name,
                "issue_date": iso(new.issue_date),
                "valid_until": iso(new.valid_until),
                "procedure_code": new.procedure_code,
                "source_dossier_id": new.dossier_id,
                "component_code": new.component_code,
                "status": PENDING,
                "policy": self.settings.vault_signature_policies.get(new.document_type.value, "any-qualified"),
                "verdict": None,
                "visible": new.visible,
                "shared": new.shared,
                "shared_with_agencies": [],
                "hidden_until_returned": False,
                "usage_count": 0,
                "used_in": [],
                "attached_to": [{"dossier_id": new.dossier_id, "agency_code": agency}] if agency else [],
                "dispute": None,
                "current_version": 1,
                "pending_version": 1,
                "versions": [
                    file_record(
                        ref, version=1, pages=pdf.pages, stage="quarantine", reason="added", by=principal.subject
                    )
                ],
                "created_at": at,
                "created_by": principal.subject,
            }
            touch(entry)
            vault.add(entry)
            vault.emit(self._uploaded(entry, 1, ref))
        await self.objects.settle(key)
        return entry, True

    def _uploaded(self, entry: Entry, version: int, ref: ObjectRef) -> Any:
        return self.runtime.record(
            DocumentUploaded(
                document_id=entry["id"],
                version=version,
                owner_id=entry["owner_id"],
                document_type=DocumentType(entry["document_type"]),
                category_code=entry.get("category_code"),
                file=ref,
                policy=entry["policy"],
            )
        )

    # --- replace -------------------------------------------------------------------------------------

    async def replace(self, principal: Principal, document_id: str, data: bytes, reason: str) -> Entry:
        owner_id = await self._locate(document_id)
        try:
            pdf = inspect_pdf(
                data, max_bytes=self.settings.vault_max_file_bytes, max_pages=self.settings.vault_max_pages
            )
        except FileProblem as exc:
            raise problem_of(exc) from exc
        async with self.store.change(owner_id) as vault:
            entry = self._owned(principal, vault, document_id)
            self._check_replaceable(entry)
            version = latest_version_number(entry) + 1
            key = object_key("quarantine", owner_id, document_id, version, pdf.sha256)
            current = current_version(entry)
            if current["sha256"] == pdf.sha256 or entry.get("pending_version"):
                pending = version_of(entry, entry.get("pending_version") or 0)
                if current["sha256"] == pdf.sha256 or (pending and pending["sha256"] == pdf.sha256):
                    return entry  # the same file again: nothing to do
                raise ApiError(
                    409,
                    "replacement_pending",
                    "a replacement of this document is still being verified",
                    "Tệp tin thay thế trước đó đang được kiểm tra chữ ký số, vui lòng chờ",
                )
            await self.objects.put(key, data, owner_id=owner_id, document_id=document_id, sha256=pdf.sha256)
            ref = ObjectRef(bucket=self.objects.bucket, key=key, sha256=pdf.sha256, size=pdf.size)
            entry["versions"].append(
                file_record(
                    ref, version=version, pages=pdf.pages, stage="quarantine", reason=reason, by=principal.subject
                )
            )
            entry["pending_version"] = version
            if entry["status"] in (PENDING, REJECTED):
                entry["status"] = PENDING
                entry["current_version"] = version
            touch(entry)
            vault.emit(self._uploaded(entry, version, ref))
        await self.objects.settle(key)
        return entry

    @staticmethod
    def _check_replaceable(entry: Entry) -> None:
        if entry["store_kind"] == StoreKind.AGENCY_ISSUED:
            raise ApiError(
                409,
                "agency_issued",
                "an agency-issued document can only be corrected by its issuing agency (open a dispute)",
                "Giấy tờ do cơ quan nhà nước cấp chỉ được cơ quan cấp điều chỉnh; vui lòng gửi phản ánh",
            )
        if entry["status"] not in (ACTIVE, PENDING, REJECTED):
            raise ApiError(
                409,
                "not_replaceable",
                f"a {entry['status']} document cannot be replaced",
                "Không thể thay thế tệp tin của giấy tờ ở trạng thái này",
            )

    # --- flags, delete, restore ----------------------------------------------------------------------

    async def update_flags(
        self,
        principal: Principal,
        document_id: str,
        *,
        visible: bool | None,
        shared: bool | None,
        shared_with_agencies: list[str] | None,
    ) -> Entry:
        owner_id = await self._locate(document_id)
        async with self.store.change(owner_id) as vault:
            entry = self._owned(principal, vault, document_id)
            if visible is not None:
                entry["visible"] = visible
            if shared is not None:
                entry["shared"] = shared
            if shared_with_agencies is not None:
                entry["shared_with_agencies"] = sorted(set(shared_with_agencies))
            touch(entry)
            vault.mark_changed()
        return entry

    async def delete(self, principal: Principal, document_id: str) -> Entry:
        owner_id = await self._locate(document_id)
        async with self.store.change(owner_id) as vault:
            entry = self._owned(principal, vault, document_id)
            if entry["store_kind"] == StoreKind.AGENCY_ISSUED:
                raise ApiError(
                    409,
                    "agency_issued_not_deletable",
                    "an agency-issued document can be hidden, not deleted",
                    "Giấy tờ do cơ quan nhà nước cấp chỉ có thể ẩn, không thể xóa",
                )
            if entry["status"] == DELETED:
                return entry
            mark_deleted(entry, restore_days=self.settings.vault_restore_days, by=principal.subject)
            touch(entry)
            vault.mark_changed()
            await self.purges.schedule(document_id, owner_id, entry["restorable_until"])
        return entry

    async def restore(self, principal: Principal, document_id: str) -> Entry:
        owner_id = await self._locate(document_id)
        async with self.store.change(owner_id) as vault:
            entry = self._owned(principal, vault, document_id)
            if entry["status"] != DELETED:
                return entry
            if entry.get("purged") or entry["restorable_until"] < now():
                raise ApiError(
                    410,
                    "restore_period_over",
                    "the period in which this document could be restored is over",
                    "Đã hết thời hạn khôi phục giấy tờ này",
                )
            restore(entry)
            touch(entry)
            vault.mark_changed()
        await self.purges.cancel(document_id)
        return entry

    # --- reading -------------------------------------------------------------------------------------

    async def view(self, principal: Principal, document_id: str, dossier_id: str | None) -> Loaded:
        loaded = await self.readable(principal, document_id)
        await self.accesses.record(
            document_id,
            principal,
            "view",
            owner_id=loaded.owner_id,
            version=loaded.entry["current_version"],
            dossier_id=dossier_id,
        )
        return loaded

    def _served_version(self, entry: Entry, version: int | None) -> Entry:
        chosen = version_of(entry, version) if version else current_version(entry)
        if chosen is None:
            raise not_found("version")
        return chosen

    async def content(
        self, principal: Principal, document_id: str, version: int | None, dossier_id: str | None
    ) -> tuple[Entry, Entry, bytes]:
        loaded = await self.readable(principal, document_id)
        chosen = self._served_version(loaded.entry, version)
        try:
            data = await self.objects.get(chosen["key"], chosen["bucket"])
        except ObjectMissing as exc:
            raise ApiError(
                503, "file_unavailable", "the file is not available", "Tệp tin tạm thời không truy cập được"
            ) from exc
        if sha256_of(data) != chosen["sha256"]:
            raise ApiError(
                502,
                "integrity_failure",
                "the stored file does not match its SHA-256; it was not served",
                "Tệp tin lưu trữ không toàn vẹn (sai mã băm SHA-256), hệ thống đã ngừng cung cấp tệp tin này",
            )
        await self.accesses.record(
            document_id,
            principal,
            "download",
            owner_id=loaded.owner_id,
            version=chosen["version"],
            dossier_id=dossier_id,
        )
        return loaded.entry, chosen, data

    async def download_url(
        self, principal: Principal, document_id: str, version: int | None, dossier_id: str | None
    ) -> dict[str, Any]:
        loaded = await self.readable(principal, document_id)
        chosen = self._served_version(loaded.entry, version)
        seconds = self.settings.vault_presign_seconds
        url = self.objects.presigned_url(chosen["key"], seconds, f"{loaded.entry['document_code']}.pdf")
        await self.accesses.record(
            document_id,
            principal,
            "download_url",
            owner_id=loaded.owner_id,
            version=chosen["version"],
            dossier_id=dossier_id,
        )
        return {
            "url": url,
            "expires_in": seconds,
            "sha256": chosen["sha256"],
            "size": chosen["size"],
            "version": chosen["version"],
        }

    async def access_log(self, principal: Principal, document_id: str) -> list[dict[str, Any]]:
        owner_id = await self._locate(document_id)
        vault = await self.store.read(owner_id)
        entry = next((e for e in (vault or {}).get("documents") or [] if e["id"] == document_id), None)
        if entry is None or not acts_as_owner(principal, owner_id):
            raise not_found("document")
        return await self.accesses.list(document_id)

    # --- search and candidates -----------------------------------------------------------------------

    async def search(
        self, principal: Principal, owner_id: str | None, query: SearchQuery, page: int, page_size: int
    ) -> Page:
        owner = owner_id or (principal.identity_number if principal.actor in ("citizen", "organization") else None)
        if not owner:
            raise bad_request(
                "owner_required",
                "owner_id (or identity_number) is required",
                "Vui lòng nhập số định danh của chủ sở hữu kho dữ liệu",
                status=400,
            )
        owner_kind_of(owner)
        vault = await self.store.read(owner)
        entries: list[Entry] = (vault or {}).get("documents") or []
        if acts_as_owner(principal, owner):
            visible = [e for e in entries if may_read(principal, e)]
        elif officer_agency(principal):
            visible = [e for e in entries if officer_may_read(principal, e)]
        else:
            raise not_found("vault")
        return page_of(matching(visible, query), page, page_size)

    async def candidates(
        self, principal: Principal, owner_id: str, on: date, needs: list[ComponentNeed]
    ) -> list[tuple[ComponentNeed, list[Any]]]:
        owner_kind_of(owner_id)
        vault = await self.store.read(owner_id)
        if not acts_as_owner(principal, owner_id):
            agency = officer_agency(principal)
            if vault is None or agency is None or not agency_received_owner(vault, agency):
                raise not_found("owner")
        entries: list[Entry] = (vault or {}).get("documents") or []
        return [(need, rank(entries, need, on, self.settings.vault_candidate_limit)) for need in needs]
