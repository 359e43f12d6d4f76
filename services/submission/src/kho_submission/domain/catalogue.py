"""The procedure catalogue (thủ tục hành chính), agencies and areas: plain data, editable and importable.

The import format mirrors the national catalogue's export (CSDL TTHC): Vietnamese field names such as
`MaTTHC`, `TenTTHC`, `TruongHop`, `ThanhPhanHoSo`, `KetQua`. The service's seed set is written in the same
format, so that an operator can replace or extend it with an export from the national portal.
"""

from __future__ import annotations

import re
from enum import StrEnum

from kho_contracts.common import RESULT_CODE_RE
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PROCEDURE_CODE_RE = re.compile(r"^\d\.\d{6}$")
AGENCY_CODE_RE = re.compile(r"^[A-Za-z0-9.]{2,40}$")


class Level(StrEnum):
    """Cấp thực hiện. Since 1 July 2025 there is no district level; old data may still name it."""

    MINISTRY = "ministry"
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


class ComponentForm(StrEnum):
    ORIGINAL = "original"  # Bản chính
    COPY = "copy"  # Bản sao
    CERTIFIED_COPY = "certified_copy"  # Bản sao chứng thực
    ORIGINAL_OR_COPY = "original_or_copy"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ComponentSpec(_Model):
    """One required component of a procedure's dossier (thành phần hồ sơ)."""

    code: str = Field(alias="MaThanhPhan", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    name: str = Field(alias="TenThanhPhan", min_length=1, max_length=500)
    description: str = Field(default="", alias="MoTa", max_length=4000)
    form: ComponentForm = Field(default=ComponentForm.ORIGINAL, alias="HinhThuc")
    count: int = Field(default=1, alias="SoLuong", ge=1, le=20)
    mandatory: bool = Field(default=True, alias="BatBuoc")
    category_codes: tuple[str, ...] = Field(default=(), alias="MaDanhMucGiayTo")
    result_codes: tuple[str, ...] = Field(default=(), alias="MaKetQua")

    @field_validator("result_codes")
    @classmethod
    def _result_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if not RESULT_CODE_RE.match(code):
                raise ValueError(f"result-type code {code!r} must look like KQ.Gxx.NNNNNN")
        return value


class ProcedureCase(_Model):
    """A case (trường hợp) of a procedure, with its processing time and fee."""

    code: str = Field(alias="MaTruongHop", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    name: str = Field(alias="TenTruongHop", min_length=1, max_length=500)
    processing_days: float = Field(alias="ThoiGianGiaiQuyet", ge=0, description="working days")
    fee_vnd: int = Field(default=0, alias="PhiLePhi", ge=0)


class ResultSpec(_Model):
    """A result the procedure produces (kết quả), by result-type code."""

    code: str = Field(alias="MaKetQua")
    name: str = Field(alias="TenKetQua", min_length=1, max_length=300)
    category_code: str | None = Field(default=None, alias="MaDanhMucGiayTo")
    valid_months: int | None = Field(default=None, alias="ThoiHanThang", ge=1)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not RESULT_CODE_RE.match(value):
            raise ValueError(f"result-type code {value!r} must look like KQ.Gxx.NNNNNN")
        return value


class Procedure(_Model):
    """An administrative procedure of the national catalogue (thủ tục hành chính)."""

    code: str = Field(alias="MaTTHC")
    name: str = Field(alias="TenTTHC", min_length=1, max_length=500)
    level: Level = Field(alias="CapThucHien")
    field: str = Field(default="", alias="LinhVuc", max_length=200)
    agency_codes: tuple[str, ...] = Field(default=(), alias="CoQuanThucHien")
    agency_levels: tuple[Level, ...] = Field(
        default=(), alias="CapCoQuan", description="any agency of these levels may receive it"
    )
    cases: tuple[ProcedureCase, ...] = Field(alias="TruongHop", min_length=1)
    components: tuple[ComponentSpec, ...] = Field(alias="ThanhPhanHoSo")
    results: tuple[ResultSpec, ...] = Field(default=(), alias="KetQua")
    online: bool = Field(default=True, alias="NopTrucTuyen")
    active: bool = Field(default=True, alias="HieuLuc")

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not PROCEDURE_CODE_RE.match(value):
            raise ValueError(f"procedure code {value!r} must look like 1.001193")
        return value

    @model_validator(mode="after")
    def _unique_codes(self) -> Procedure:
        for what, codes in (("component", [c.code for c in self.components]), ("case", [c.code for c in self.cases])):
            if len(codes) != len(set(codes)):
                raise ValueError(f"{what} codes repeat in procedure {self.code}")
        return self

    def component(self, code: str) -> ComponentSpec | None:
        return next((c for c in self.components if c.code == code), None)

    def case(self, code: str) -> ProcedureCase | None:
        return next((c for c in self.cases if c.code == code), None)

    @property
    def returns_document(self) -> bool:
        return bool(self.results)

    def received_by(self, agency: Agency) -> bool:
        return agency.active and (agency.code in self.agency_codes or agency.level in self.agency_levels)


class Area(_Model):
    """An administrative area (tỉnh, xã/phường). Mergers keep the old area with `merged_into`."""

    code: str = Field(alias="MaDonVi", pattern=r"^[A-Za-z0-9._-]{1,40}$")
    name: str = Field(alias="TenDonVi", min_length=1, max_length=200)
    level: Level = Field(alias="Cap")
    parent_code: str | None = Field(default=None, alias="MaDonViCha")
    merged_into: str | None = Field(default=None, alias="SapNhapVao")
    active: bool = Field(default=True, alias="HieuLuc")


class Agency(_Model):
    """A receiving/processing agency (cơ quan, đơn vị). Its code starts the dossier codes it issues."""

    code: str = Field(alias="MaCoQuan")
    name: str = Field(alias="TenCoQuan", min_length=1, max_length=300)
    level: Level = Field(alias="Cap")
    area_code: str = Field(alias="MaDonViHanhChinh")
    certifies_copies: bool = Field(default=False, alias="ChungThuc")
    signing_profile: str | None = Field(default=None, alias="HoSoKhoaKy", description="signature key profile")
    active: bool = Field(default=True, alias="HieuLuc")

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not AGENCY_CODE_RE.match(value):
            raise ValueError("agency code must be 2-40 letters, digits or dots")
        return value


class CatalogueImport(_Model):
    """The import document: any of the three lists (other top-level keys, such as notes, are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    procedures: tuple[Procedure, ...] = Field(default=(), alias="ThuTuc")
    agencies: tuple[Agency, ...] = Field(default=(), alias="CoQuan")
    areas: tuple[Area, ...] = Field(default=(), alias="DonViHanhChinh")

    @model_validator(mode="after")
    def _references(self) -> CatalogueImport:
        area_codes = {a.code for a in self.areas}
        for area in self.areas:
            for ref in (area.parent_code, area.merged_into):
                if ref and ref not in area_codes:
                    raise ValueError(f"area {area.code} refers to unknown area {ref}")
        if self.areas:
            for agency in self.agencies:
                if agency.area_code not in area_codes:
                    raise ValueError(f"agency {agency.code} refers to unknown area {agency.area_code}")
        return self
