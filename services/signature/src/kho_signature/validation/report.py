"""The validation report: one verdict for the file under a policy, and one entry per signature.

Indications and sub-indications use the ETSI EN 319 102-1 vocabulary (as EU DSS does in its simple report).
"""

from __future__ import annotations

from datetime import datetime

from kho_contracts.common import Indication, SignerSummary
from pydantic import BaseModel, ConfigDict, Field

ENGINE_VERSION = "kho-signature/1"

_RANK = {Indication.TOTAL_PASSED: 0, Indication.INDETERMINATE: 1, Indication.TOTAL_FAILED: 2}


def worst(a: Indication, b: Indication) -> Indication:
    return a if _RANK[a] >= _RANK[b] else b


class CertificateInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    issuer: str
    common_name: str | None = None
    serial: str
    not_before: datetime
    not_after: datetime
    sha256: str
    anchor_set: str | None = Field(default=None, description="government or public, for a trust anchor")


class SignerInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    common_name: str
    organization: str | None = None
    uid: str | None = Field(default=None, description="the subject UID as written, e.g. MST:0100000001")
    uid_kind: str | None = Field(default=None, description="MST, CCCD, CMND or MNS")
    uid_value: str | None = None
    serial: str
    issuer: str


class Message(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    vi: str
    en: str


class SignatureReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    field_name: str | None = None
    indication: Indication
    sub_indication: str | None = None
    signer: SignerInfo | None = None
    chain: list[CertificateInfo] = Field(default_factory=list)
    anchor_set: str | None = None
    signing_time: datetime | None = Field(default=None, description="the time the signer claims")
    best_signature_time: datetime | None = None
    timestamp_time: datetime | None = None
    level: str | None = Field(default=None, description="B-B, B-T, B-LT or B-LTA")
    coverage: str | None = None
    modification_level: str | None = None
    certification: str | None = Field(default=None, description="DocMDP permission of a certifying signature")
    subfilter: str | None = None
    message_vi: str
    message_en: str
    details: list[Message] = Field(default_factory=list)


class ValidationReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    sha256: str
    size: int
    pages: int | None = None
    policy: str
    indication: Indication
    sub_indication: str | None = None
    message_vi: str
    message_en: str
    signatures: list[SignatureReport] = Field(default_factory=list)
    validated_at: datetime
    engine: str = ENGINE_VERSION
    missing_revocation: list[str] = Field(
        default_factory=list,
        description="certificates (base64 DER) without revocation data: the refresher watches them",
    )

    def signer_summaries(self) -> list[SignerSummary]:
        return [
            SignerSummary(
                common_name=s.signer.common_name if s.signer else "?",
                organization=s.signer.organization if s.signer else None,
                uid=s.signer.uid if s.signer else None,
                signing_time=s.signing_time,
                best_signature_time=s.best_signature_time,
                level=s.level,
                indication=s.indication,
                sub_indication=s.sub_indication,
            )
            for s in self.signatures
        ]
