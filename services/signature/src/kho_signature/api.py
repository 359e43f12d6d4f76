"""HTTP API of the signature service.

* ``POST /v1/validations``: a PDF (multipart ``file`` + ``policy``) or a JSON reference to an object in S3
  (``{"bucket", "key", "policy"}``); answers the report (201) with its id.
* ``GET /v1/validations/{id}``: the stored report; ``GET /v1/validations/{id}/etsi.xml``: the ETSI TS 119
  102-2 report.
* ``POST /v1/signatures``: signs a PDF with a key profile and a visible stamp (the submission service's
  certified copies and results); answers the signed PDF, or stores it in S3 (``store=true``) and answers
  the reference.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from kho_platform.auth import CurrentPrincipal, Principal
from kho_platform.errors import ApiError, not_found
from kho_platform.service import runtime_of
from pydantic import BaseModel, Field, ValidationError

from kho_signature.deps import REPORTS_BUCKET, SIGNED_BUCKET, VALIDATIONS, SignatureService
from kho_signature.signing.keys import KeyError_
from kho_signature.signing.signer import SignatureOptions, SigningError
from kho_signature.signing.stamp import StampText
from kho_signature.trust import DEFAULT_POLICIES

router = APIRouter(prefix="/v1", tags=["signature"])


class ObjectReference(BaseModel):
    bucket: str
    key: str
    policy: str = "government-result"


def service_of(request: Request) -> SignatureService:
    deps: SignatureService = request.app.state.deps
    return deps


def _check_policy(policy: str) -> None:
    if policy not in DEFAULT_POLICIES:
        raise ApiError(
            422,
            "unknown_policy",
            f"unknown policy {policy!r}; known: {sorted(DEFAULT_POLICIES)}",
            "Chính sách kiểm tra chữ ký không hợp lệ",
        )


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"the file exceeds {limit} bytes", "Tệp tin vượt quá dung lượng cho phép")


async def _read_upload(request: Request, limit: int) -> tuple[bytes, dict[str, str]]:
    form = await request.form(max_part_size=limit + 1)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise ApiError(422, "file_required", "a multipart field 'file' is required", "Cần gửi kèm tệp tin PDF")
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return data, fields


@router.post("/validations", status_code=201)
async def create_validation(request: Request, principal: CurrentPrincipal) -> JSONResponse:
    service = service_of(request)
    limit = service.settings.signature_max_bytes
    content_type = request.headers.get("content-type", "")
    source: dict[str, Any]
    if content_type.startswith("application/json"):
        try:
            ref = ObjectReference.model_validate_json(await request.body())
        except ValidationError as exc:
            raise ApiError(
                422, "validation_error", str(exc.errors()[0]["msg"]), "Dữ liệu gửi lên không hợp lệ"
            ) from exc
        policy = ref.policy
        _check_policy(policy)
        try:
            data = await service.get_object(ref.bucket, ref.key, limit)
        except Exception as exc:
            raise ApiError(
                404,
                "object_not_found",
                f"cannot read s3://{ref.bucket}/{ref.key}: {type(exc).__name__}",
                "Không tìm thấy tệp tin",
            ) from exc
        if len(data) > limit:
            raise _too_large(limit)
        source = {"bucket": ref.bucket, "key": ref.key}
    else:
        data, fields = await _read_upload(request, limit)
        policy = fields.get("policy", "government-result")
        _check_policy(policy)
        source = {"upload": True}
    report, xml = await service.validate(data, policy)
    validation_id = uuid.uuid4().hex
    await service.store_report(validation_id, report, xml, extra={"source": source, "requested_by": principal.subject})
    body = {
        "id": validation_id,
        **json.loads(report.model_dump_json()),
        "etsi_report": f"/v1/validations/{validation_id}/etsi.xml",
    }
    return JSONResponse(body, status_code=201)


@router.get("/validations/{validation_id}")
async def get_validation(validation_id: str, request: Request, principal: CurrentPrincipal) -> JSONResponse:
    doc = await runtime_of(request).db[VALIDATIONS].find_one({"_id": validation_id})
    if doc is None:
        raise not_found("validation")
    for key in (
        "_id",
        "outbox",
        "outbox_pending",
        "outbox_lease_until",
        "outbox_lease_owner",
        "created_at",
        "requested_by",
    ):
        doc.pop(key, None)
    body = json.loads(json.dumps({"id": validation_id, **doc}, default=str))
    body["etsi_report"] = f"/v1/validations/{validation_id}/etsi.xml"
    return JSONResponse(body)


@router.get("/validations/{validation_id}/etsi.xml")
async def get_validation_xml(validation_id: str, request: Request, principal: CurrentPrincipal) -> Response:
    service = service_of(request)
    doc = await runtime_of(request).db[VALIDATIONS].find_one({"_id": validation_id}, projection={"xml_key": 1})
    if doc is None:
        raise not_found("validation")
    data = await service.get_object(service.runtime.bucket(REPORTS_BUCKET), doc["xml_key"], 50 * 1024 * 1024)
    return Response(data, media_type="application/xml")


class SignatureRequestFields(BaseModel):
    profile: str
    agency_code: str | None = None
    reason: str | None = None
    location: str | None = None
    stamp_heading: str = ""
    stamp_lines: list[str] = Field(default_factory=list)
    level: str | None = None
    certify: bool = True
    page: int = -1
    store: bool = False
    key: str | None = None


def _may_sign(principal: Principal, fields: SignatureRequestFields) -> None:
    if principal.is_operator:
        return
    if not principal.is_officer:
        raise ApiError(403, "forbidden", "only officers sign documents", "Bạn không có quyền ký số tài liệu")
    if fields.agency_code and principal.agency_code != fields.agency_code:
        raise ApiError(
            403, "forbidden", "officers sign for their own agency only", "Bạn chỉ được ký số tài liệu của cơ quan mình"
        )


@router.post("/signatures", response_model=None)
async def create_signature(request: Request, principal: CurrentPrincipal) -> Response | JSONResponse:
    service = service_of(request)
    data, raw = await _read_upload(request, service.settings.signature_max_bytes)
    try:
        lines = json.loads(raw.get("stamp_lines") or "[]")
        fields = SignatureRequestFields.model_validate(
            {
                **{k: v for k, v in raw.items() if k != "stamp_lines"},
                "stamp_lines": lines,
            }
        )
    except (ValueError, ValidationError) as exc:
        raise ApiError(
            422, "validation_error", f"invalid signing request: {exc}"[:300], "Yêu cầu ký số không hợp lệ"
        ) from exc
    _may_sign(principal, fields)
    if fields.profile not in service.keys.names:
        raise ApiError(
            422, "unknown_profile", f"unknown key profile {fields.profile!r}", "Không tìm thấy khóa ký số được yêu cầu"
        )
    level = fields.level or service.default_level()
    if level not in ("B-T", "B-LT", "B-LTA"):
        raise ApiError(422, "bad_level", "level must be B-T, B-LT or B-LTA", "Mức chữ ký không hợp lệ")
    stamp = StampText(fields.stamp_heading, tuple(fields.stamp_lines)) if fields.stamp_heading else None
    options = SignatureOptions(
        level=level,  # type: ignore[arg-type]
        certify=fields.certify,
        reason=fields.reason,
        location=fields.location,
        stamp=stamp,
    )
    if stamp is not None:
        from dataclasses import replace

        options = replace(options, layout=replace(options.layout, page=fields.page))
    try:
        signed = await service.sign(data, fields.profile, options)
    except (SigningError, KeyError_) as exc:
        raise ApiError(422, "signing_failed", f"cannot sign: {exc}"[:500], "Không ký số được tài liệu") from exc
    digest = hashlib.sha256(signed).hexdigest()
    if not fields.store:
        return Response(signed, media_type="application/pdf", headers={"x-content-sha256": digest})
    key = fields.key or f"signed/{digest}.pdf"
    await service.put_object(SIGNED_BUCKET, key, signed, "application/pdf")
    return JSONResponse(
        {
            "bucket": service.runtime.bucket(SIGNED_BUCKET),
            "key": key,
            "sha256": digest,
            "size": len(signed),
            "content_type": "application/pdf",
        },
        status_code=201,
    )
