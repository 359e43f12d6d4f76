"""Events of the signature service (topic kho.signature.verdicts, key: document id)."""

from __future__ import annotations

from pydantic import Field

from kho_contracts.base import Event, register
from kho_contracts.common import Indication, SignerSummary
from kho_contracts.topics import SIGNATURE_VERDICTS


class _Verdict(Event):
    TOPIC = SIGNATURE_VERDICTS
    KEY_FIELD = "document_id"
    PRODUCER = "signature"
    CONSUMERS = ("vault",)

    validation_id: str
    document_id: str
    version: int = Field(ge=1)
    sha256: str
    policy: str
    indication: Indication
    sub_indication: str | None = None
    message_vi: str
    message_en: str
    signers: list[SignerSummary] = Field(default_factory=list)
    report_key: str | None = Field(default=None, description="object key of the full report (JSON and ETSI XML)")


@register
class SignatureVerified(_Verdict):
    """An uploaded file's signatures passed the requested policy (indication TOTAL_PASSED)."""

    TYPE = "vn.gov.kho.signature.verified.v1"


@register
class SignatureRejected(_Verdict):
    """An uploaded file's signatures did not pass the requested policy (TOTAL_FAILED or INDETERMINATE)."""

    TYPE = "vn.gov.kho.signature.rejected.v1"
