"""HTTP API of the vault (described in services/vault/README.md; other services code against it)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from kho_contracts.common import DocumentType
from kho_platform.auth import CurrentPrincipal
from kho_platform.errors import ApiError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from kho_vault.documents import DocumentService, NewDocument
from kho_vault.domain.candidates import ComponentNeed
from kho_vault.domain.document import STATUSES
from kho_vault.domain.search import SearchQuery
from kho_vault.domain.text import is_nfc
from kho_vault.entrypoints.views import candidate_view, document_view

router = APIRouter(prefix="/v1", tags=["vault"])

_FILENAME_BAD = re.compile(r"(^|[\\/])\.\.([\\/]|$)|[\\/\x00-\x1f\x7f]")
_AGENCY_RE = re.compile(r"^[A-Za-z0-9.\-_]{1,50}$")


async def service(request: Request) -> DocumentService:
    documents: DocumentService = request.app.state.deps.documents
    return documents


Service = Annotated[DocumentService, Depends(service)]


def _nfc_problem(field: str) -> ApiError:
    return ApiError(
        422,
        "text_not_nfc",
        f"{field} must be Unicode NFC (composed) text",
        f"Trường {field} phải là văn bản tiếng Việt dựng sẵn (Unicode NFC)",
        field=field,
    )


def check_text(field: str, value: str | None, *, max_length: int = 500, required: bool = False) -> str | None:
    if value is None or not value.strip():
        if required:
            raise ApiError(422, "missing_field", f"{field} is required", f"Vui lòng nhập {field}", field=field)
        return None
    if not is_nfc(value):
        raise _nfc_problem(field)
    if len(value) > max_length or any(ord(c) < 32 and c not in "\t\n" for c in value):
        raise ApiError(
            422,
            "invalid_text",
            f"{field} is too long or has control characters",
            f"Trường {field} không hợp lệ",
            field=field,
        )
    return value.strip()


def check_query_string(request: Request, allowed: set[str]) -> None:
    """Query strings are plain values: no MongoDB operators, no nested keys, no unknown parameters."""
    for key, value in request.query_params.multi_items():
        if "$" in key or "[" in key or "$" in value or value.lstrip().startswith("{"):
            raise ApiError(
                400,
                "operator_not_allowed",
                f"query parameter {key!r} carries an operator or a structured value",
                "Tham số tìm kiếm không hợp lệ",
                parameter=key,
            )
        if key not in allowed:
            raise ApiError(
                400,
                "unknown_parameter",
                f"unknown query parameter {key!r}",
                "Tham số tìm kiếm không hợp lệ",
                parameter=key,
            )
        if not is_nfc(value):
            raise _nfc_problem(key)


def check_filename(name: str | None) -> None:
    if name and (_FILENAME_BAD.search(name) or len(name) > 255):
        raise ApiError(
            400,
            "bad_file_name",
            "the file name carries a path or control characters",
            "Tên tệp tin không hợp lệ (không được chứa đường dẫn)",
        )


async def read_upload(file: UploadFile, limit: int) -> bytes:
    check_filename(file.filename)
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(
            413,
            "file_too_large",
            f"the file is larger than {limit} bytes",
            f"Tệp tin vượt quá dung lượng cho phép ({limit // (1024 * 1024)} MB)",
        )
    return data


@router.get("/categories")
async def categories(principal: CurrentPrincipal, svc: Service) -> dict[str, Any]:
    return {
        "items": [
            {"code": c.code, "name": c.name, "result_code": c.result_code, "ministry": c.ministry}
            for c in svc.catalogue.all()
        ]
    }


@router.post("/documents", status_code=202)
async def add_document(
    principal: CurrentPrincipal,
    svc: Service,
    request: Request,
    file: Annotated[UploadFile, File()],
    document_type: Annotated[DocumentType, Form()],
    category_code: Annotated[str, Form(min_length=1, max_length=50)],
    name: Annotated[str, Form(min_length=1, max_length=500)],
    owner_id: Annotated[str | None, Form(max_length=20)] = None,
    document_number: Annotated[str | None, Form(max_length=100)] = None,
    decision_number: Annotated[str | None, Form(max_length=100)] = None,
    summary: Annotated[str | None, Form(max_length=2000)] = None,
    issuing_agency_code: Annotated[str | None, Form(max_length=50)] = None,
    issuing_agency_name: Annotated[str | None, Form(max_length=300)] = None,
    issue_date: Annotated[date | None, Form()] = None,
    valid_until: Annotated[date | None, Form()] = None,
    procedure_code: Annotated[str | None, Form(max_length=50)] = None,
    dossier_id: Annotated[str | None, Form(max_length=100)] = None,
    component_code: Annotated[str | None, Form(max_length=50)] = None,
    visible: Annotated[bool, Form()] = True,
    shared: Annotated[bool, Form()] = False,
) -> FastJSON:
    check_query_string(request, set())
    new = NewDocument(
        owner_id=(owner_id or "").strip() or None,
        document_type=document_type,
        category_code=check_text("category_code", category_code, max_length=50, required=True) or "",
        name=check_text("name", name, required=True) or "",
        document_number=check_text("document_number", document_number, max_length=100),
        decision_number=check_text("decision_number", decision_number, max_length=100),
        summary=check_text("summary", summary, max_length=2000),
        issuing_agency_code=check_text("issuing_agency_code", issuing_agency_code, max_length=50),
        issuing_agency_name=check_text("issuing_agency_name", issuing_agency_name, max_length=300),
        issue_date=issue_date,
        valid_until=valid_until,
        procedure_code=check_text("procedure_code", procedure_code, max_length=50),
        dossier_id=check_text("dossier_id", dossier_id, max_length=100),
        component_code=check_text("component_code", component_code, max_length=50),
        visible=visible,
        shared=shared,
    )
    data = await read_upload(file, svc.settings.vault_max_file_bytes)
    entry, created = await svc.add(principal, new, data)
    body = document_view(entry, principal)
    body["duplicate"] = not created
    return _json(body, status_code=202 if created else 200)


SEARCH_PARAMS = {
    "owner_id", "q", "name", "code", "decision_number", "owner_name", "identity_number", "summary",
    "type", "category", "issuer", "status", "from", "to", "page", "page_size", "include_hidden",
}  # fmt: skip


@router.get("/documents")
async def list_documents(
    principal: CurrentPrincipal,
    svc: Service,
    request: Request,
    owner_id: Annotated[str | None, Query(max_length=20)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
    code: Annotated[str | None, Query(max_length=200)] = None,
    decision_number: Annotated[str | None, Query(max_length=100)] = None,
    owner_name: Annotated[str | None, Query(max_length=200)] = None,
    identity_number: Annotated[str | None, Query(max_length=20)] = None,
    summary: Annotated[str | None, Query(max_length=200)] = None,
    type: Annotated[DocumentType | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=50)] = None,
    issuer: Annotated[str | None, Query(max_length=300)] = None,
    status: Annotated[str | None, Query(max_length=30)] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int | None, Query(ge=1)] = None,
    include_hidden: bool = False,
) -> Response:
    check_query_string(request, SEARCH_PARAMS)
    if status is not None and status not in STATUSES:
        raise ApiError(422, "unknown_status", f"status must be one of {', '.join(STATUSES)}", "Trạng thái không hợp lệ")
    size = page_size or svc.settings.vault_page_size
    if size > svc.settings.vault_max_page_size:
        raise ApiError(
            422,
            "page_size_too_large",
            f"page_size must be at most {svc.settings.vault_max_page_size}",
            "Số bản ghi mỗi trang quá lớn",
        )
    if date_from and date_to and date_from > date_to:
        raise ApiError(422, "bad_date_range", "from is after to", "Khoảng thời gian không hợp lệ")
    fields = {
        k: v
        for k, v in {
            "name": name, "code": code, "decision_number": decision_number, "owner_name": owner_name,
            "identity_number": identity_number, "summary": summary,
        }.items()
        if v
    }  # fmt: skip
    query = SearchQuery(
        q=q,
        fields=fields,
        document_type=type.value if type else None,
        category=category,
        issuer=issuer,
        status=status,
        date_from=date_from,
        date_to=date_to,
        include_hidden=include_hidden,
    )
    owner = owner_id or (identity_number if principal.is_officer else None)
    result = await svc.search(principal, owner, query, page, size)
    return _json(
        {
            "items": [document_view(e, principal) for e in result.items],
            "total": result.total,
            "page": result.page,
            "page_size": result.page_size,
            "pages": (result.total + result.page_size - 1) // result.page_size,
        }
    )


class ComponentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    component_code: str = Field(min_length=1, max_length=50)
    category_codes: list[str] = Field(default_factory=list, max_length=50)
    result_codes: list[str] = Field(default_factory=list, max_length=50)


class CandidatesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner_id: str = Field(min_length=9, max_length=14)
    on: date
    components: list[ComponentRequest] = Field(min_length=1, max_length=100)

    @field_validator("owner_id")
    @classmethod
    def _no_operator(cls, value: str) -> str:
        if "$" in value:
            raise ValueError("owner_id must be an identity number")
        return value


@router.post("/candidates")
async def candidates(body: CandidatesRequest, principal: CurrentPrincipal, svc: Service) -> Response:
    needs = [ComponentNeed(c.component_code, tuple(c.category_codes), tuple(c.result_codes)) for c in body.components]
    found = await svc.candidates(principal, body.owner_id, body.on, needs)
    return _json(
        {
            "owner_id": body.owner_id,
            "on": body.on.isoformat(),
            "components": [
                {
                    "component_code": need.component_code,
                    "candidates": [candidate_view(c.entry, c.score, c.reasons) for c in ranked],
                }
                for need, ranked in found
            ],
        }
    )


@router.get("/documents/{document_id}")
async def get_document(
    document_id: str, principal: CurrentPrincipal, svc: Service, request: Request, dossier_id: str | None = None
) -> Response:
    check_query_string(request, {"dossier_id"})
    loaded = await svc.view(principal, document_id, dossier_id)
    return _json(document_view(loaded.entry, principal))


@router.get("/documents/{document_id}/content")
async def get_content(
    document_id: str,
    principal: CurrentPrincipal,
    svc: Service,
    request: Request,
    version: Annotated[int | None, Query(ge=1)] = None,
    dossier_id: str | None = None,
) -> Response:
    check_query_string(request, {"version", "dossier_id"})
    entry, chosen, data = await svc.content(principal, document_id, version, dossier_id)
    filename = re.sub(r"[^0-9A-Za-z.\-]", "_", entry.get("document_code") or entry["id"])
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}.pdf"',
            "X-Content-SHA256": chosen["sha256"],
            "X-Document-Version": str(chosen["version"]),
            "Cache-Control": "no-store",
        },
    )


@router.get("/documents/{document_id}/download-url")
async def get_download_url(
    document_id: str,
    principal: CurrentPrincipal,
    svc: Service,
    request: Request,
    version: Annotated[int | None, Query(ge=1)] = None,
    dossier_id: str | None = None,
) -> dict[str, Any]:
    check_query_string(request, {"version", "dossier_id"})
    return await svc.download_url(principal, document_id, version, dossier_id)


@router.get("/documents/{document_id}/accesses")
async def get_accesses(document_id: str, principal: CurrentPrincipal, svc: Service) -> Response:
    items = await svc.access_log(principal, document_id)
    return _json({"document_id": document_id, "items": items, "total": len(items)})


@router.put("/documents/{document_id}/file", status_code=202)
async def replace_file(
    document_id: str,
    principal: CurrentPrincipal,
    svc: Service,
    file: Annotated[UploadFile, File()],
    reason: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    why = check_text("reason", reason) or "replaced by the owner"
    data = await read_upload(file, svc.settings.vault_max_file_bytes)
    entry = await svc.replace(principal, document_id, data, why)
    return _json(document_view(entry, principal), status_code=202)


class FlagsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visible: bool | None = None
    shared: bool | None = None
    shared_with_agencies: list[str] | None = Field(default=None, max_length=100)

    @field_validator("shared_with_agencies")
    @classmethod
    def _agency_codes(cls, value: list[str] | None) -> list[str] | None:
        for code in value or []:
            if not _AGENCY_RE.match(code):
                raise ValueError(f"{code!r} is not an agency code")
        return value


@router.patch("/documents/{document_id}")
async def patch_document(document_id: str, body: FlagsPatch, principal: CurrentPrincipal, svc: Service) -> Response:
    entry = await svc.update_flags(
        principal,
        document_id,
        visible=body.visible,
        shared=body.shared,
        shared_with_agencies=body.shared_with_agencies,
    )
    return _json(document_view(entry, principal))


@router.delete("/documents/{document_id}")
async def delete_document(document_id: str, principal: CurrentPrincipal, svc: Service) -> Response:
    return _json(document_view(await svc.delete(principal, document_id), principal))


@router.post("/documents/{document_id}/restore")
async def restore_document(document_id: str, principal: CurrentPrincipal, svc: Service) -> Response:
    return _json(document_view(await svc.restore(principal, document_id), principal))


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class FastJSON(Response):
    """JSON written by the standard encoder (FastAPI's jsonable_encoder costs milliseconds per document)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=_encode, ensure_ascii=False, separators=(",", ":")).encode()


def _json(value: dict[str, Any], status_code: int = 200) -> FastJSON:
    return FastJSON(value, status_code=status_code)
