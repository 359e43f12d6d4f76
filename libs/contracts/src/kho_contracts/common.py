"""Value types shared by several events."""

from __future__ import annotations

import re
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

CCCD_RE = re.compile(r"^\d{12}$")
CMND_RE = re.compile(r"^\d{9}$")
TAX_CODE_RE = re.compile(r"^\d{10}(-\d{3})?$")
RESULT_CODE_RE = re.compile(r"^KQ\.G\d{2}\.\d{6}$")


class OwnerKind(StrEnum):
    CITIZEN = "citizen"
    ORGANIZATION = "organization"


def identity_kind(number: str) -> OwnerKind | None:
    """CCCD (12 digits) and old CMND (9 digits) identify citizens; a tax code (10 digits, or 10-3 for a
    branch) identifies an organization. Anything else is not an identity number."""
    if CCCD_RE.match(number) or CMND_RE.match(number):
        return OwnerKind.CITIZEN
    if TAX_CODE_RE.match(number):
        return OwnerKind.ORGANIZATION
    return None


def _check_identity(value: str) -> str:
    if identity_kind(value) is None:
        raise ValueError("identity number must be a 12-digit CCCD, a 9-digit CMND or a 10-digit (or 10-3) tax code")
    return value


def _check_result_code(value: str) -> str:
    if not RESULT_CODE_RE.match(value):
        raise ValueError("result-type code must look like KQ.Gxx.NNNNNN")
    return value


IdentityNumber = Annotated[str, AfterValidator(_check_identity)]
ResultCode = Annotated[str, AfterValidator(_check_result_code)]


class DocumentType(StrEnum):
    """Loại giấy tờ."""

    ISSUED_RESULT = "issued_result"  # Kết quả giải quyết
    DIGITIZED_COMPONENT = "digitized_component"  # Thành phần hồ sơ số hóa
    CERTIFIED_COPY = "certified_copy"  # Bản sao chứng thực điện tử
    OWN_UPLOAD = "own_upload"  # Giấy tờ do chủ sở hữu tải lên


class StoreKind(StrEnum):
    OWNER = "owner"  # Kho của tổ chức, cá nhân
    AGENCY_ISSUED = "agency_issued"  # Kho cơ quan nhà nước, tổ chức


class ObjectRef(BaseModel):
    """A file in the object store."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    bucket: str
    key: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    content_type: str = "application/pdf"


class Indication(StrEnum):
    """ETSI EN 319 102-1 main indication."""

    TOTAL_PASSED = "TOTAL_PASSED"
    TOTAL_FAILED = "TOTAL_FAILED"
    INDETERMINATE = "INDETERMINATE"


class SignerSummary(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    common_name: str
    organization: str | None = None
    uid: str | None = None
    signing_time: datetime | None = None
    best_signature_time: datetime | None = None
    level: str | None = None
    indication: Indication
    sub_indication: str | None = None


class DisputeReason(StrEnum):
    """The three reasons a citizen may give when disputing an electronic result."""

    WRONG_CITIZEN_INFO = "wrong_citizen_info"  # Tệp tin có thông tin công dân không chính xác
    NOT_OWNERS_RESULT = "not_owners_result"  # Tệp tin không phải kết quả của công dân
    NOT_GOVERNMENT_SIGNED = "not_government_signed"  # Tệp tin không được ký số bởi Ban Cơ yếu Chính phủ


class DigitizationState(IntEnum):
    """Digitization state of a submitted component, as the national portal counts it."""

    NOT_DIGITIZED = 0
    DIGITIZED = 1
    REUSED_FROM_COMPONENT = 2
    REUSED_FROM_RESULT = 3


__all__ = [
    "DigitizationState",
    "DisputeReason",
    "DocumentType",
    "IdentityNumber",
    "Indication",
    "ObjectRef",
    "OwnerKind",
    "ResultCode",
    "SignerSummary",
    "StoreKind",
    "identity_kind",
]
