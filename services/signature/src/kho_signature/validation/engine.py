"""The validation engine: a pure function from PDF bytes, a policy, trust anchors and cached revocation data
to a report. It runs inside worker processes (see pool.py); it never touches the network.

Per signature:

1. coverage and modification analysis (what the CMS-level checks do not see): coverage must be the whole
   file, or a whole revision followed only by validation data, document timestamps or later signatures
   (modification level LTA_UPDATES or FORM_FILLING) that the DocMDP permissions of a certifying signature
   allow. Anything else is TOTAL_FAILED/FORMAT_FAILURE.
2. AdES validation with pyHanko: ``ades_lta_validation`` when a document timestamp follows the signature,
   otherwise ``ades_with_time_validation`` with the revocation data of the DSS (and of the Adobe
   revocation-info attribute) added to what the service cached. The verdict is taken from the
   sub-indication, never from ``bottom_line``.
3. the signer's validity window against the best signature time: pyHanko's past-signature path does not
   check the expiry side, so a certificate that had expired when the timestamp was taken is
   TOTAL_FAILED/EXPIRED here (and NOT_YET_VALID on the other side).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import io
import logging
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import x509 as asn1_x509
from kho_contracts.common import Indication
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed, AdESStatus, AdESSubIndic
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation import ades
from pyhanko.sign.validation.generic_cms import cms_basic_validation, collect_timing_info, extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.authority import CertTrustAnchor
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.poe import POEManager, ValidationObject, ValidationObjectType
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy, NonRevokedStatusAssertion
from pyhanko_certvalidator.registry import CertificateRegistry, SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer, OCSPContainer
from pyhanko_certvalidator.revinfo.manager import RevinfoManager

from kho_signature.revocation import RevocationSnapshot
from kho_signature.trust import AnchorSet, Policy, TrustStore
from kho_signature.validation import messages, speedups
from kho_signature.validation.later_changes import DIFF_POLICY
from kho_signature.validation.report import (
    CertificateInfo,
    Message,
    SignatureReport,
    SignerInfo,
    ValidationReport,
)

# pyHanko logs every failed check with a traceback (and a warning per B-LT file without document timestamp);
# the report carries the same information.
for _name in ("pyhanko.sign.validation", "pyhanko_certvalidator", "pyhanko.sign.diff_analysis"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

speedups.install()

ACCEPTED_LATER_CHANGES = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)
KEY_USAGE = KeyUsageConstraints(key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=False)


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 30 * 1024 * 1024
    max_pages: int = 5000
    cpu_seconds: float = 10.0
    memory_mb: int = 1024
    max_inflated_bytes: int = 100 * 1024 * 1024
    """Decompressed size of all Flate streams together: more is treated as a decompression bomb."""


@dataclass
class EngineContext:
    """Per-process state kept across validations: the trust store, the policies' validation specs and the
    revocation snapshot converted to pyHanko's containers. Rebuilt only when the snapshot changes."""

    trust: TrustStore
    limits: Limits = field(default_factory=Limits)
    status_ttl: timedelta = timedelta(minutes=5)
    """How long a certificate path found unrevoked stays known as such (see :meth:`known_unrevoked`)."""
    _specs: dict[tuple[str, str], SignatureValidationSpec] = field(default_factory=dict)
    _unrevoked: dict[tuple[str, str, bytes], datetime] = field(default_factory=dict)

    def known_unrevoked(
        self, policy: Policy, revocation: RevocationSnapshot, cert: asn1_x509.Certificate, now: datetime
    ) -> bool:
        """Whether the whole path of ``cert`` (a signer's or a TSA's) was validated unrevoked, with revocation
        data required, under this policy and this cache version, less than ``status_ttl`` ago. Such a
        path is not checked for revocation again: the result of the check is cached, not the verdict."""
        until = self._unrevoked.get((policy.name, revocation.version, cert.sha256))
        return until is not None and now <= until

    def remember_unrevoked(
        self, policy: Policy, revocation: RevocationSnapshot, cert: asn1_x509.Certificate, now: datetime
    ) -> None:
        if len(self._unrevoked) > 10_000:
            self._unrevoked.clear()
        self._unrevoked[(policy.name, revocation.version, cert.sha256)] = now + self.status_ttl

    def spec(self, policy: Policy, revocation: RevocationSnapshot) -> SignatureValidationSpec:
        key = (policy.name, revocation.version)
        spec = self._specs.get(key)
        if spec is None:
            if len(self._specs) > 32:
                self._specs.clear()
            roots = self.trust.roots_for(policy)
            cert_policy = CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=[CertTrustAnchor(r) for r in roots]),
                revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
            )
            spec = SignatureValidationSpec(
                cert_validation_policy=cert_policy,
                revinfo_gathering_policy=RevocationInfoGatheringSpec(
                    online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
                ),
                local_knowledge=LocalKnowledge(
                    known_certs=list(self.trust.intermediates),
                    known_crls=[CRLContainer(c) for c in revocation.crls],
                    known_ocsps=[OCSPContainer(o) for o in revocation.ocsps],
                ),
                key_usage_settings=KEY_USAGE,
            )
            self._specs[key] = spec
        return spec


class _Format(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


_STREAM = re.compile(rb"stream\r?\n")


def inflates_beyond(pdf: bytes, budget: int) -> bool:
    """Whether the Flate streams of the file inflate to more than ``budget`` bytes in total. A raw scan (zlib
    stops at the end of each compressed stream), bounded in memory, run before any parsing."""
    total = 0
    view = memoryview(pdf)
    for match in _STREAM.finditer(pdf):
        start = match.end()
        if start >= len(pdf) or pdf[start] & 0x0F != 8:  # zlib header: deflate method
            continue
        inflater = zlib.decompressobj()
        data: bytes | memoryview = view[start:]
        try:
            while data:
                out = inflater.decompress(data, 8 * 1024 * 1024)
                total += len(out)
                if total > budget:
                    return True
                if inflater.eof or not out:
                    break
                data = inflater.unconsumed_tail
        except zlib.error:
            continue
    return False


# --- helpers --------------------------------------------------------------------------------------------


def _name_attr(name: asn1_x509.Name, attr: str) -> str | None:
    value = name.native.get(attr)
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value is not None else None


def signer_info(cert: asn1_x509.Certificate) -> SignerInfo:
    uid = _name_attr(cert.subject, "user_id")
    kind = value = None
    if uid and ":" in uid:
        prefix, _, rest = uid.partition(":")
        if prefix.strip().upper() in ("MST", "CCCD", "CMND", "MNS", "HC"):
            kind, value = prefix.strip().upper(), rest.strip()
    return SignerInfo(
        common_name=_name_attr(cert.subject, "common_name") or cert.subject.human_friendly,
        organization=_name_attr(cert.subject, "organization_name"),
        uid=uid,
        uid_kind=kind,
        uid_value=value,
        serial=format(cert.serial_number, "x"),
        issuer=cert.issuer.human_friendly,
    )


def cert_info(cert: asn1_x509.Certificate, trust: TrustStore) -> CertificateInfo:
    anchor = trust.anchor_set_of(cert) if cert.self_signed == "maybe" or cert.subject == cert.issuer else None
    return CertificateInfo(
        subject=cert.subject.human_friendly,
        issuer=cert.issuer.human_friendly,
        common_name=_name_attr(cert.subject, "common_name"),
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before,
        not_after=cert.not_valid_after,
        sha256=hashlib.sha256(cert.dump()).hexdigest(),
        anchor_set=anchor.value if anchor else None,
    )


def _chain_by_name(cert: asn1_x509.Certificate, pool: Sequence[asn1_x509.Certificate]) -> list[asn1_x509.Certificate]:
    """The chain built by issuer names only (for the report when no trusted path was found)."""
    chain = [cert]
    while chain[-1].subject != chain[-1].issuer and len(chain) < 8:
        nxt = next((c for c in pool if c.subject == chain[-1].issuer and c not in chain), None)
        if nxt is None:
            break
        chain.append(nxt)
    return chain


def _indication(sub: AdESSubIndic) -> Indication:
    status = sub.status
    if status == AdESStatus.PASSED:
        return Indication.TOTAL_PASSED
    if status == AdESStatus.FAILED:
        return Indication.TOTAL_FAILED
    return Indication.INDETERMINATE


def _sub_name(sub: AdESSubIndic) -> str | None:
    return None if isinstance(sub, AdESPassed) else str(getattr(sub, "name", sub))


def _has_dss(reader: PdfFileReader) -> bool:
    return "/DSS" in reader.root


def _level(sig: EmbeddedPdfSignature, reader: PdfFileReader, dss: bool, doc_ts: bool) -> str:
    has_sig_ts = next(extract_tst_data_iter(sig.signer_info, signed=False), None) is not None
    if not has_sig_ts and not doc_ts:
        return "B-B"
    if doc_ts and dss:
        return "B-LTA"
    if dss:
        return "B-LT"
    return "B-T"


# --- the engine -----------------------------------------------------------------------------------------


def validate(
    pdf: bytes,
    policy: Policy,
    context: EngineContext,
    revocation: RevocationSnapshot,
    *,
    now: datetime | None = None,
) -> tuple[ValidationReport, str]:
    """Validates every signature of ``pdf`` under ``policy``; returns the report and the ETSI TS 119 102-2
    XML report. Never raises for a bad file: parse errors are TOTAL_FAILED/FORMAT_FAILURE."""
    return asyncio.run(async_validate(pdf, policy, context, revocation, now=now))


def _failure(
    pdf: bytes,
    policy: Policy,
    code: str,
    sub: str,
    indication: Indication,
    pages: int | None,
    now: datetime,
    detail: str = "",
) -> ValidationReport:
    vi, en = messages.verdict_message(indication, code, 0)
    if detail:
        en = f"{en} ({detail})"
    return ValidationReport(
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        pages=pages,
        policy=policy.name,
        indication=indication,
        sub_indication=sub,
        message_vi=vi,
        message_en=en,
        signatures=[],
        validated_at=now,
    )


def failure_report(
    pdf: bytes,
    policy: Policy,
    code: str,
    *,
    indication: Indication = Indication.TOTAL_FAILED,
    sub: str = "FORMAT_FAILURE",
    detail: str = "",
) -> ValidationReport:
    """A report for a file that could not be validated at all (limits, parse errors, worker killed)."""
    return _failure(pdf, policy, code, sub, indication, None, datetime.now(UTC), detail)


async def async_validate(
    pdf: bytes,
    policy: Policy,
    context: EngineContext,
    revocation: RevocationSnapshot,
    *,
    now: datetime | None = None,
) -> tuple[ValidationReport, str]:
    from kho_signature.validation import etsi_xml

    now = now or datetime.now(UTC)
    limits = context.limits
    if len(pdf) > limits.max_bytes:
        report = _failure(pdf, policy, "too_large", "FORMAT_FAILURE", Indication.TOTAL_FAILED, None, now)
        return report, etsi_xml.minimal_report(report)
    try:
        if inflates_beyond(pdf, limits.max_inflated_bytes):
            raise _Format("bomb", f"streams inflate to more than {limits.max_inflated_bytes} bytes")
        reader = PdfFileReader(io.BytesIO(pdf), strict=True)
        if reader.encrypted:
            raise _Format("encrypted")
        pages = int(reader.root["/Pages"]["/Count"])
        if pages > limits.max_pages or pages < 0:
            raise _Format("too_many_pages", f"{pages} pages")
        all_sigs = reader.embedded_signatures
        sigs = [s for s in all_sigs if s.sig_object_type == "/Sig"]
        doc_timestamps = [s for s in all_sigs if s.sig_object_type == "/DocTimeStamp"]
    except _Format as exc:
        report = _failure(pdf, policy, exc.code, "FORMAT_FAILURE", Indication.TOTAL_FAILED, None, now, exc.detail)
        return report, etsi_xml.minimal_report(report)
    except RecursionError:
        report = _failure(
            pdf, policy, "not_pdf", "FORMAT_FAILURE", Indication.TOTAL_FAILED, None, now, "nesting too deep"
        )
        return report, etsi_xml.minimal_report(report)
    except Exception as exc:
        report = _failure(
            pdf,
            policy,
            "not_pdf",
            "FORMAT_FAILURE",
            Indication.TOTAL_FAILED,
            None,
            now,
            f"{type(exc).__name__}: {exc}"[:300],
        )
        return report, etsi_xml.minimal_report(report)
    if sigs and _bytes_after_last_revision(pdf):
        report = _failure(
            pdf,
            policy,
            "coverage",
            "FORMAT_FAILURE",
            Indication.TOTAL_FAILED,
            pages,
            now,
            "bytes after the end of the last revision",
        )
        return report, etsi_xml.minimal_report(report)
    if not sigs:
        report = _failure(pdf, policy, "no_signature", "FORMAT_FAILURE", Indication.TOTAL_FAILED, pages, now)
        return report, etsi_xml.minimal_report(report)

    spec = context.spec(policy, revocation)
    timing = ValidationTimingInfo(validation_time=now, best_signature_time=now, point_in_time_validation=False)
    results: list[SignatureReport] = []
    xml_parts: list[tuple[EmbeddedPdfSignature, Any]] = []
    missing: list[str] = []
    dss = _has_dss(reader)
    for sig in sigs:
        sig_report, ades_result, missing_cert = await _validate_signature(
            sig,
            reader,
            spec,
            context.trust,
            timing,
            dss,
            doc_timestamps,
            context.trust.roots_for(policy),
            _Statuses(context, policy, revocation),
        )
        results.append(sig_report)
        if ades_result is not None:
            xml_parts.append((sig, ades_result))
        if missing_cert is not None:
            missing.append(missing_cert)

    overall = Indication.TOTAL_PASSED
    sub: str | None = None
    rank = {Indication.TOTAL_PASSED: 0, Indication.INDETERMINATE: 1, Indication.TOTAL_FAILED: 2}
    # every signature must pass: the worst one decides (the first of equals); else the best one does
    decisive = (
        max(results, key=lambda r: rank[r.indication])
        if policy.require_all_signatures
        else min(results, key=lambda r: rank[r.indication])
    )
    if decisive.indication != Indication.TOTAL_PASSED:
        overall, sub = decisive.indication, decisive.sub_indication
    if overall == Indication.INDETERMINATE and policy.accept_indeterminate:
        overall = Indication.TOTAL_PASSED
    failing = next((r for r in results if r.indication == overall and r.sub_indication == sub), None)
    if overall == Indication.TOTAL_PASSED:
        vi, en = messages.verdict_message(overall, None, len(results))
    elif failing is not None:
        vi, en = failing.message_vi, failing.message_en
    else:
        vi, en = messages.verdict_message(overall, sub, len(results))
    report = ValidationReport(
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        pages=pages,
        policy=policy.name,
        indication=overall,
        sub_indication=sub,
        message_vi=vi,
        message_en=en,
        signatures=results,
        validated_at=now,
        missing_revocation=missing,
    )
    return report, etsi_xml.full_report(report, xml_parts)


async def _validate_signature(
    sig: EmbeddedPdfSignature,
    reader: PdfFileReader,
    spec: SignatureValidationSpec,
    trust: TrustStore,
    timing: ValidationTimingInfo,
    dss: bool,
    doc_timestamps: list[EmbeddedPdfSignature],
    roots: list[asn1_x509.Certificate],
    statuses: _Statuses,
) -> tuple[SignatureReport, Any, str | None]:
    base: dict[str, Any] = {"field_name": _safe(lambda: sig.field_name)}
    try:
        signer_cert = sig.signer_cert
        base["signer"] = signer_info(signer_cert)
    except Exception as exc:
        return _sig_failure(base, "bad_signature_object", f"{type(exc).__name__}: {exc}"), None, None
    base["subfilter"] = str(_safe(lambda: sig.sig_object.get("/SubFilter")) or "")[1:] or None
    base["signing_time"] = _safe(lambda: sig.self_reported_timestamp)
    docmdp = _safe(lambda: sig.docmdp_level)
    base["certification"] = docmdp.name if isinstance(docmdp, MDPPerm) else None
    doc_ts = any(ts.signed_revision > sig.signed_revision for ts in doc_timestamps)
    base["level"] = _level(sig, reader, dss, doc_ts)

    # 1. coverage and modifications
    try:
        coverage = sig.evaluate_signature_coverage()
        base["coverage"] = coverage.name
        if coverage not in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION):
            return _sig_failure(base, "coverage", coverage.name), None, None
        sig.compute_integrity_info(
            diff_policy=DIFF_POLICY,  # type: ignore[no-untyped-call]
            skip_diff=coverage == SignatureCoverageLevel.ENTIRE_FILE,
        )
        integrity = sig.summarise_integrity_info()
    except Exception as exc:
        return _sig_failure(base, "bad_signature_object", f"{type(exc).__name__}: {exc}"[:300]), None, None
    diff = integrity.get("diff_result")
    if coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        if not isinstance(diff, DiffResult):
            base["modification_level"] = ModificationLevel.OTHER.name
            return _sig_failure(base, "modified", str(diff)[:300]), None, None
        base["modification_level"] = diff.modification_level.name
        if diff.modification_level not in ACCEPTED_LATER_CHANGES:
            return _sig_failure(base, "modified", diff.modification_level.name), None, None
        if integrity.get("docmdp_ok") is False:
            return _sig_failure(base, "docmdp"), None, None
    else:
        base["modification_level"] = ModificationLevel.NONE.name
    if coverage == SignatureCoverageLevel.ENTIRE_REVISION and _is_last_revision(reader, sig):
        # the signed revision is the last one, yet the ByteRange stops before the end: bytes were appended
        # that no revision accounts for (whitespace after %%EOF is tolerated)
        start, length = int(sig.byte_range[2]), int(sig.byte_range[3])
        if reader.stream.getbuffer()[start + length :].tobytes().strip():
            return _sig_failure(base, "coverage", "bytes after the end of the signed revision"), None, None

    # 2. validation at the current time, with the validation data of the file added to the cache's
    has_sig_ts = next(extract_tst_data_iter(sig.signer_info, signed=False), None) is not None
    knowledge_cache: list[LocalKnowledge] = []

    def knowledge_of() -> LocalKnowledge:
        if not knowledge_cache:
            extra = _embedded_knowledge(reader, sig)
            local = spec.local_knowledge
            knowledge_cache.append(
                LocalKnowledge(
                    known_ocsps=[*local.known_ocsps, *extra.known_ocsps],
                    known_crls=[*local.known_crls, *extra.known_crls],
                    known_certs=[*local.known_certs, *extra.known_certs],
                )
            )
        return knowledge_cache[0]

    result: Any
    try:
        # the common case first: everything holds at the current time (pyHanko's classic checks, with
        # revocation data required); what does not pass goes through the AdES processes below, which
        # know about proofs of existence and give the precise sub-indication
        result = await _current_time_pass(
            sig, roots, knowledge_of, spec.local_knowledge, has_sig_ts, statuses, timing.validation_time
        )
        if result is None:
            knowledge = knowledge_of()
            with_embedded = dataclasses.replace(spec, local_knowledge=knowledge)
            if has_sig_ts:
                result = await ades.ades_with_time_validation(
                    sig.signed_data,
                    with_embedded,
                    timing_info=timing,
                    raw_digest=sig.compute_digest(),
                    extra_status_kwargs=integrity,
                    status_cls=PdfSignatureStatus,
                )
            else:
                result = await ades.ades_basic_validation(
                    sig.signed_data, with_embedded, timing_info=timing, raw_digest=sig.compute_digest()
                )
            if doc_ts and not isinstance(result.ades_subindic, AdESPassed):
                # long-term validation: the document timestamps may prove the signature existed when the
                # certificates were still good
                lta = await ades.ades_lta_validation(
                    sig, PdfSignatureValidationSpec(spec, diff_policy=DIFF_POLICY), timing_info=timing
                )
                if isinstance(lta.ades_subindic, AdESPassed):
                    result = lta
    except Exception as exc:
        return _sig_failure(base, "bad_signature_object", f"{type(exc).__name__}: {exc}"[:300]), None, None

    sub: AdESSubIndic = result.ades_subindic
    status = result.api_status
    bst: datetime | None = getattr(result, "best_signature_time", None)
    ts_time: datetime | None = None
    if has_sig_ts:
        ts_time = await _timestamp_time(sig, trust, knowledge_of, status)
    base["timestamp_time"] = ts_time
    base["best_signature_time"] = bst or ts_time or timing.validation_time
    proven_time = ts_time or timing.validation_time  # the signature existed at this time

    # 3. refinements of pyHanko's answer, each from facts rather than messages
    indication, code = _indication(sub), _sub_name(sub)
    crypto_ok = code not in ("HASH_FAILURE", "SIG_CRYPTO_FAILURE", "FORMAT_FAILURE")
    if crypto_ok and signer_cert.self_signed in ("yes", "maybe") and not trust.anchor_set_of(signer_cert):
        indication, code = Indication.INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND"
    elif crypto_ok and proven_time < signer_cert.not_valid_before:
        indication, code = Indication.TOTAL_FAILED, "NOT_YET_VALID"
    elif crypto_ok and ts_time is not None and ts_time > signer_cert.not_valid_after:
        # a trusted timestamp proves the signature was made after expiry (pyHanko passes this one)
        indication, code = Indication.TOTAL_FAILED, "EXPIRED"
    elif code == "REVOKED_NO_POE":
        revoked_at = _revocation_time(signer_cert, knowledge_of())
        if revoked_at is not None and ts_time is not None and ts_time >= revoked_at:
            indication, code = Indication.TOTAL_FAILED, "REVOKED"
    elif code == "CERTIFICATE_CHAIN_GENERAL_FAILURE":
        knowledge = knowledge_of()
        chain_by_name = _chain_by_name(signer_cert, [*trust.intermediates, *trust.all_roots(), *knowledge.known_certs])
        if any(not _has_revinfo(c, knowledge) for c in chain_by_name if c.subject != c.issuer):
            indication, code = Indication.INDETERMINATE, "TRY_LATER"

    path = getattr(status, "validation_path", None) if status is not None else None
    chain_certs = (
        list(reversed(list(path.iter_certs(include_root=True))))
        if path is not None
        else _chain_by_name(signer_cert, [*trust.intermediates, *trust.all_roots(), *sig.other_embedded_certs])
    )
    chain = [cert_info(c, trust) for c in chain_certs]
    anchor = next((c.anchor_set for c in reversed(chain) if c.anchor_set), None)
    vi, en = messages.message(code or "OK")
    details = []
    if code == "NO_CERTIFICATE_CHAIN_FOUND" and anchor is not None:
        other = AnchorSet(anchor)
        details.append(
            Message(
                code="other_anchor_set",
                vi=(_VI_PUBLIC_NOT_GOVERNMENT if other == AnchorSet.PUBLIC else _VI_GOVERNMENT_NOT_ACCEPTED),
                en=f"The chain ends at a root of the {other.value} set, which this policy does not accept.",
            )
        )
    if result.failure_msg and indication != Indication.TOTAL_PASSED:
        en = f"{en} ({result.failure_msg[:300]})"
    missing = None
    if code == "TRY_LATER":
        missing = base64.b64encode(signer_cert.dump()).decode()
    report = SignatureReport(
        **base,
        indication=indication,
        sub_indication=code,
        chain=chain,
        anchor_set=anchor,
        message_vi=vi,
        message_en=en,
        details=details,
    )
    return report, (result, indication, code), missing


def _bytes_after_last_revision(pdf: bytes) -> bool:
    """Non-blank bytes after the %%EOF that closes the last revision (signatures never cover them)."""
    start = pdf.rfind(b"startxref")
    eof = pdf.find(b"%%EOF", start)
    return start < 0 or eof < 0 or bool(pdf[eof + 5 :].strip())


_VI_PUBLIC_NOT_GOVERNMENT = (
    "Chứng thư số do tổ chức cung cấp dịch vụ chứng thực công cộng cấp, không phải Ban Cơ yếu Chính phủ."
)
_VI_GOVERNMENT_NOT_ACCEPTED = "Chứng thư số do Ban Cơ yếu Chính phủ cấp, không thuộc danh sách được chấp nhận."


def _is_last_revision(reader: PdfFileReader, sig: EmbeddedPdfSignature) -> bool:
    return bool(sig.signed_revision == reader.xrefs.total_revisions - 1)


@dataclass(frozen=True)
class _CurrentTimeResult:
    """The result of the classic current-time checks, shaped like pyHanko's AdES results for the report."""

    api_status: Any
    best_signature_time: datetime
    ades_subindic: AdESSubIndic = AdESPassed.OK
    failure_msg: str | None = None
    validation_objects: tuple[Any, ...] = ()


@dataclass(frozen=True)
class _Statuses:
    context: EngineContext
    policy: Policy
    revocation: RevocationSnapshot

    def known(self, cert: asn1_x509.Certificate, now: datetime) -> bool:
        return self.context.known_unrevoked(self.policy, self.revocation, cert, now)

    def remember(self, cert: asn1_x509.Certificate, now: datetime) -> None:
        self.context.remember_unrevoked(self.policy, self.revocation, cert, now)


async def _classic_checks(
    sig: EmbeddedPdfSignature,
    roots: list[asn1_x509.Certificate],
    statuses: _Statuses,
    now: datetime,
    known: list[asn1_x509.Certificate],
    knowledge: LocalKnowledge | None,
    has_sig_ts: bool,
) -> dict[str, Any] | None:
    registry = CertificateRegistry.build(statuses.context.trust.intermediates)
    crls: list[CRLContainer] = []
    ocsps: list[OCSPContainer] = []
    if knowledge is not None:
        registry.register_multiple(knowledge.known_certs)
        crls, ocsps = list(knowledge.known_crls), list(knowledge.known_ocsps)
    revinfo = RevinfoManager(
        certificate_registry=registry,
        poe_manager=POEManager(),
        crls=crls,
        ocsps=ocsps,
        assertions=[NonRevokedStatusAssertion(cert_sha256=c.sha256, at=now + timedelta(minutes=1)) for c in known],
    )
    context = ValidationContext(
        trust_roots=roots,
        certificate_registry=registry,
        revinfo_manager=revinfo,
        allow_fetching=False,
        revocation_mode="hard-fail",
        moment=now,
    )
    try:
        kwargs: dict[str, Any] = {}
        if has_sig_ts:
            kwargs = await collect_timing_info(sig.signer_info, context, raw_digest=sig.compute_digest)
            tsv = kwargs.get("timestamp_validity")
            if tsv is None or not (tsv.intact and tsv.valid and tsv.trusted):
                return None
        kwargs = await cms_basic_validation(
            sig.signed_data,
            raw_digest=sig.compute_digest(),
            validation_context=context,
            status_kwargs=kwargs,
            key_usage_settings=KEY_USAGE,
        )
    except Exception:
        return None
    if not (kwargs.get("intact") and kwargs.get("valid")) or kwargs.get("trust_problem_indic") is not None:
        return None
    if kwargs.get("validation_path") is None:
        return None
    return kwargs


async def _current_time_pass(
    sig: EmbeddedPdfSignature,
    roots: list[asn1_x509.Certificate],
    knowledge_of: Any,
    cache_knowledge: LocalKnowledge,
    has_sig_ts: bool,
    statuses: _Statuses,
    now: datetime,
) -> _CurrentTimeResult | None:
    """Classic validation at the current time with revocation required (hard-fail): the signature value,
    the chain to a root of the policy, key usage, revocation of every certificate, and the signature
    timestamp if there is one. A result only when all of it holds; None sends the signature to the AdES
    processes.

    Paths found unrevoked a moment ago (same policy, same revocation cache) are asserted unrevoked instead
    of being checked again; everything else (signature values, validity periods, key usage, path building)
    is checked every time."""
    leaves = [sig.signer_cert]
    if has_sig_ts:
        tst = next(extract_tst_data_iter(sig.signer_info, signed=False))
        try:
            leaves.append(extract_certificate_info(tst).signer_cert)
        except Exception:
            return None
    known = [c for c in leaves if statuses.known(c, now)]
    kwargs: dict[str, Any] | None
    if len(known) == len(leaves):
        kwargs = await _classic_checks(sig, roots, statuses, now, known, None, has_sig_ts)
    else:
        # the service's cache alone first: a status found so is remembered (it depends on nothing a
        # particular document carries, so later verdicts do not depend on which files came before)
        kwargs = await _classic_checks(sig, roots, statuses, now, known, cache_knowledge, has_sig_ts)
        if kwargs is not None:
            for cert in leaves:
                statuses.remember(cert, now)
        else:
            kwargs = await _classic_checks(sig, roots, statuses, now, known, knowledge_of(), has_sig_ts)
    if kwargs is None:
        return None
    tsv = kwargs.get("timestamp_validity")
    path = kwargs["validation_path"]

    class _Status:
        validation_path = path
        timestamp_validity = tsv

    objects = tuple(
        ValidationObject(object_type=ValidationObjectType.CERTIFICATE, value=c)
        for c in path.iter_certs(include_root=True)
    )
    return _CurrentTimeResult(
        api_status=_Status(), validation_objects=objects, best_signature_time=tsv.timestamp if tsv is not None else now
    )


def _has_revinfo(cert: asn1_x509.Certificate, knowledge: LocalKnowledge) -> bool:
    for container in knowledge.known_ocsps:
        try:
            cert_id = container.extract_single_response()["cert_id"]  # type: ignore[index]
            algo = cert_id["hash_algorithm"]["algorithm"].native
            if (
                cert_id["serial_number"].native == cert.serial_number
                and getattr(cert.issuer, algo, None) == cert_id["issuer_name_hash"].native
            ):
                return True
        except (KeyError, ValueError, TypeError, AttributeError):
            continue
    return any(c.crl_data.issuer == cert.issuer for c in knowledge.known_crls)


async def _timestamp_time(
    sig: EmbeddedPdfSignature, trust: TrustStore, knowledge_of: Any, status: Any
) -> datetime | None:
    """The time of the signature timestamp, when the timestamp is intact and chains to a trust anchor."""
    tsv = getattr(status, "timestamp_validity", None) if status is not None else None
    if tsv is None:
        knowledge = knowledge_of()
        context = ValidationContext(
            trust_roots=trust.all_roots(),
            other_certs=knowledge.known_certs,
            crls=[c.crl_data for c in knowledge.known_crls],
            ocsps=[o.ocsp_response_data for o in knowledge.known_ocsps],
            allow_fetching=False,
            revocation_mode="soft-fail",
        )
        try:
            info = await collect_timing_info(sig.signer_info, context, raw_digest=sig.compute_digest)
        except Exception:
            return None
        tsv = info.get("timestamp_validity")
    if tsv is not None and tsv.intact and tsv.valid and tsv.trusted:
        return tsv.timestamp  # type: ignore[no-any-return]
    return None


def _revocation_time(cert: asn1_x509.Certificate, knowledge: LocalKnowledge) -> datetime | None:
    """When the known revocation data says the certificate was revoked (pyHanko has checked its signature)."""
    times: list[datetime] = []
    for container in knowledge.known_ocsps:
        try:
            for single in container.ocsp_response_data.basic_ocsp_response["tbs_response_data"]["responses"]:
                cert_id = single["cert_id"]
                algo = cert_id["hash_algorithm"]["algorithm"].native
                if (
                    cert_id["serial_number"].native != cert.serial_number
                    or getattr(cert.issuer, algo, None) != cert_id["issuer_name_hash"].native
                ):
                    continue
                status = single["cert_status"]
                if status.name == "revoked":
                    times.append(status.chosen["revocation_time"].native)
        except (KeyError, ValueError, AttributeError):
            continue
    for crl_container in knowledge.known_crls:
        crl = crl_container.crl_data
        if crl.issuer != cert.issuer:
            continue
        for entry in crl["tbs_cert_list"]["revoked_certificates"]:
            if entry["user_certificate"].native == cert.serial_number:
                times.append(entry["revocation_date"].native)
    return min(times) if times else None


def _embedded_knowledge(reader: PdfFileReader, sig: EmbeddedPdfSignature) -> LocalKnowledge:
    dss = ades._dss_to_local_knowledge(reader)
    ria = ades._adobe_revinfo_archival_to_local_knowledge(sig)
    return LocalKnowledge(
        known_ocsps=[*dss.known_ocsps, *ria.known_ocsps],
        known_crls=[*dss.known_crls, *ria.known_crls],
        known_certs=dss.known_certs,
    )


def _safe(fn: Any) -> Any:
    try:
        return fn()
    except Exception:
        return None


def _sig_failure(base: dict[str, Any], code: str, detail: str = "") -> SignatureReport:
    vi, en = messages.message(code)
    if detail:
        en = f"{en} ({detail})"
    return SignatureReport(
        **base,
        indication=Indication.TOTAL_FAILED,
        sub_indication="FORMAT_FAILURE",
        message_vi=vi,
        message_en=en,
        details=[Message(code=code, vi=vi, en=en)],
    )
