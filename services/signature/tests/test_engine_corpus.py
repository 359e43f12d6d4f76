"""Every corpus file gets its expected verdict from the engine (no servers needed)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from kho_contracts.common import Indication
from kho_signature.revocation import RevocationSnapshot
from kho_signature.signing.signer import SigningMaterial
from kho_signature.testing import async_sign_as, corpus, make_bomb_pdf, make_huge_page_tree_pdf, make_pdf
from kho_signature.testing.pki import TestPki
from kho_signature.testing.signing import signer_for
from kho_signature.trust import TrustStore
from kho_signature.validation.engine import EngineContext, validate
from kho_signature.validation.report import ValidationReport

from .conftest import days_ago

P, F, U = Indication.TOTAL_PASSED, Indication.TOTAL_FAILED, Indication.INDETERMINATE
GOV, ANY = "government-result", "any-qualified"


@dataclass(frozen=True)
class Case:
    make: Callable[[TestPki, bytes, SigningMaterial], bytes]
    policy: str
    indication: Indication
    sub: str | None
    level: str | None = None
    revocation: str = "cached"  # or "empty"


def signed(label: str, level: str = "B-LT", **kw: object) -> Callable[[TestPki, bytes, SigningMaterial], bytes]:
    def make(pki: TestPki, pdf: bytes, material: SigningMaterial) -> bytes:
        return asyncio.run(async_sign_as(pki, label, pdf, level=level, material=material, **kw))  # type: ignore[arg-type]

    return make


def then(
    first: Callable[[TestPki, bytes, SigningMaterial], bytes], change: Callable[[bytes], bytes]
) -> Callable[[TestPki, bytes, SigningMaterial], bytes]:
    return lambda pki, pdf, material: change(first(pki, pdf, material))


def two_signatures(pki: TestPki, pdf: bytes, material: SigningMaterial) -> bytes:
    once = asyncio.run(async_sign_as(pki, "gov-officer", pdf, level="B-LT", material=material))
    return asyncio.run(async_sign_as(pki, "gov-agency", once, level="B-LT", material=material))


def partial_coverage(pki: TestPki, pdf: bytes, material: SigningMaterial) -> bytes:
    base = asyncio.run(async_sign_as(pki, "gov-agency", pdf, level="B-B", material=material))
    return asyncio.run(corpus.resign_partial_coverage(base, signer_for(pki, "gov-agency")))


def bomb(pki: TestPki, pdf: bytes, material: SigningMaterial) -> bytes:
    return asyncio.run(async_sign_as(pki, "gov-agency", make_bomb_pdf(300), level="B-T", material=material))


CASES: dict[str, Case] = {
    # valid files, each level
    "valid-B-B": Case(signed("gov-agency", "B-B"), GOV, P, None, "B-B"),
    "valid-B-T": Case(signed("gov-agency", "B-T"), GOV, P, None, "B-T"),
    "valid-B-LT": Case(signed("gov-agency", "B-LT"), GOV, P, None, "B-LT"),
    "valid-B-LT-offline": Case(signed("gov-agency", "B-LT"), GOV, P, None, "B-LT", revocation="empty"),
    "valid-B-LTA": Case(signed("gov-agency", "B-LTA"), GOV, P, None, "B-LTA"),
    "valid-certified": Case(signed("gov-agency", "B-LT", certify=True), GOV, P, None, "B-LT"),
    "valid-G1-root": Case(signed("gov-g1", "B-T"), GOV, P, None, "B-T"),
    "two-signatures": Case(two_signatures, GOV, P, None, "B-LT"),
    "public-ca-any": Case(signed("pub-company", "B-LT"), ANY, P, None, "B-LT"),
    # revocation unknown: never silently passed
    "B-T-no-revocation-data": Case(signed("gov-agency", "B-T"), GOV, U, "TRY_LATER", "B-T", revocation="empty"),
    # signers
    "public-ca-under-government-policy": Case(signed("pub-company", "B-LT"), GOV, U, "NO_CERTIFICATE_CHAIN_FOUND"),
    "expired": Case(signed("gov-expired", "B-T"), GOV, F, "EXPIRED"),
    "not-yet-valid": Case(signed("gov-not-yet-valid", "B-T"), GOV, F, "NOT_YET_VALID"),
    "revoked-before-signing": Case(signed("gov-revoked-before", "B-T"), GOV, F, "REVOKED"),
    "revoked-before-signing-no-timestamp": Case(signed("gov-revoked-before", "B-B"), GOV, U, "REVOKED_NO_POE"),
    "revoked-after-signing": Case(signed("gov-revoked-after", "B-T", timestamp_at=days_ago(20)), GOV, P, None),
    "wrong-key-usage": Case(signed("gov-wrong-ku", "B-T"), GOV, U, "CHAIN_CONSTRAINTS_FAILURE"),
    "untrusted-root": Case(signed("rogue", "B-T"), ANY, U, "NO_CERTIFICATE_CHAIN_FOUND"),
    "self-signed": Case(signed("self-signed", "B-T"), ANY, U, "NO_CERTIFICATE_CHAIN_FOUND"),
    # attacks and broken files
    "content-changed-after-signing": Case(
        then(signed("gov-agency", "B-T"), corpus.change_content_after_signing), GOV, F, "FORMAT_FAILURE"
    ),
    "content-changed-after-certifying": Case(
        then(signed("gov-agency", "B-LT", certify=True), corpus.change_content_after_signing), GOV, F, "FORMAT_FAILURE"
    ),
    "annotation-over-content": Case(
        then(signed("gov-agency", "B-T"), corpus.annotate_over_content), GOV, F, "FORMAT_FAILURE"
    ),
    "signature-not-covering-file": Case(partial_coverage, GOV, F, "FORMAT_FAILURE"),
    "bytes-appended": Case(then(signed("gov-agency", "B-T"), corpus.append_bytes), GOV, F, "FORMAT_FAILURE"),
    "unsigned": Case(lambda pki, pdf, m: pdf, GOV, F, "FORMAT_FAILURE"),
    "empty-signature-value": Case(
        then(signed("gov-agency", "B-B"), corpus.empty_signature_value), GOV, F, "FORMAT_FAILURE"
    ),
    "broken-byte-range": Case(then(signed("gov-agency", "B-B"), corpus.break_byte_range), GOV, F, "FORMAT_FAILURE"),
    "truncated": Case(then(signed("gov-agency", "B-LT"), corpus.truncate), GOV, F, "FORMAT_FAILURE"),
    "encrypted": Case(lambda pki, pdf, m: corpus.encrypt(pdf), GOV, F, "FORMAT_FAILURE"),
    "decompression-bomb": Case(bomb, GOV, F, "FORMAT_FAILURE"),
    "huge-page-tree": Case(lambda pki, pdf, m: make_huge_page_tree_pdf(), GOV, F, "FORMAT_FAILURE"),
}


@pytest.fixture(scope="session")
def corpus_files(pki: TestPki, plain_pdf: bytes, material: SigningMaterial) -> dict[str, bytes]:
    return {name: case.make(pki, plain_pdf, material) for name, case in CASES.items()}


def run(data: bytes, policy: str, trust: TrustStore, ctx: EngineContext, rev: RevocationSnapshot) -> ValidationReport:
    report, xml = validate(data, trust.policy(policy), ctx, rev)
    assert xml.startswith("<?xml") and "ValidationReport" in xml
    return report


@pytest.mark.parametrize("name", list(CASES))
def test_corpus_verdict(
    name: str,
    corpus_files: dict[str, bytes],
    trust: TrustStore,
    engine_context: EngineContext,
    cached: RevocationSnapshot,
) -> None:
    case = CASES[name]
    rev = cached if case.revocation == "cached" else RevocationSnapshot("empty")
    started = time.monotonic()
    report = run(corpus_files[name], case.policy, trust, engine_context, rev)
    assert (report.indication, report.sub_indication) == (case.indication, case.sub), report.message_en
    assert time.monotonic() - started < 10
    assert report.message_vi and report.message_en and report.message_vi != report.message_en
    if case.level is not None:
        assert {s.level for s in report.signatures} == {case.level}
    if case.indication == P:
        assert report.signatures and all(s.indication == P for s in report.signatures)


def test_report_describes_the_signer(
    corpus_files: dict[str, bytes], trust: TrustStore, engine_context: EngineContext, cached: RevocationSnapshot
) -> None:
    report = run(corpus_files["valid-B-LT"], GOV, trust, engine_context, cached)
    sig = report.signatures[0]
    assert sig.signer is not None
    assert sig.signer.common_name.startswith("Sở Tư pháp tỉnh Thử Nghiệm")
    assert sig.signer.organization == "UBND tỉnh Thử Nghiệm"
    assert (sig.signer.uid_kind, sig.signer.uid_value) == ("MNS", "1000001")
    assert [c.common_name for c in sig.chain][1:] == [
        "CA phục vụ các cơ quan Nhà nước G2 (thử nghiệm)",
        "RootCA chuyên dùng Chính phủ G2 (thử nghiệm)",
    ]
    assert sig.anchor_set == "government"
    assert sig.coverage == "ENTIRE_REVISION" and sig.modification_level == "LTA_UPDATES"
    assert sig.timestamp_time is not None and sig.best_signature_time is not None
    assert sig.subfilter == "ETSI.CAdES.detached"
    pub = run(corpus_files["public-ca-any"], ANY, trust, engine_context, cached).signatures[0]
    assert pub.signer is not None and (pub.signer.uid_kind, pub.signer.uid_value) == ("MST", "0100000001")
    assert pub.anchor_set == "public"


def test_public_ca_refusal_says_which_set(
    corpus_files: dict[str, bytes], trust: TrustStore, engine_context: EngineContext, cached: RevocationSnapshot
) -> None:
    report = run(corpus_files["public-ca-under-government-policy"], GOV, trust, engine_context, cached)
    assert any(d.code == "other_anchor_set" for d in report.signatures[0].details)


def test_two_signatures_are_both_reported(
    corpus_files: dict[str, bytes], trust: TrustStore, engine_context: EngineContext, cached: RevocationSnapshot
) -> None:
    report = run(corpus_files["two-signatures"], GOV, trust, engine_context, cached)
    assert len(report.signatures) == 2
    assert report.signatures[0].modification_level == "FORM_FILLING"
    assert report.signatures[1].coverage in ("ENTIRE_FILE", "ENTIRE_REVISION")


def test_try_later_asks_the_refresher_to_watch_the_signer(
    corpus_files: dict[str, bytes], trust: TrustStore, engine_context: EngineContext
) -> None:
    report = run(corpus_files["B-T-no-revocation-data"], GOV, trust, engine_context, RevocationSnapshot("empty"))
    assert len(report.missing_revocation) == 1


def test_xml_report_carries_the_final_verdict(
    corpus_files: dict[str, bytes], trust: TrustStore, engine_context: EngineContext, cached: RevocationSnapshot
) -> None:
    _, xml = validate(corpus_files["expired"], trust.policy(GOV), engine_context, cached)
    assert "urn:etsi:019102:mainindication:total-failed" in xml and "subindication:EXPIRED" in xml
    _, xml = validate(corpus_files["valid-B-LT"], trust.policy(GOV), engine_context, cached)
    assert "total-passed" in xml and "<vr:SignatureValidationObjects>" in xml


def test_any_single_byte_change_in_signed_range_fails(
    corpus_files: dict[str, bytes], trust: TrustStore, engine_context: EngineContext, cached: RevocationSnapshot
) -> None:
    data = bytearray(corpus_files["valid-B-T"])
    pos = data.index(b"/MediaBox [0 0 595 842]") + len("/MediaBox [0 0 59")
    data[pos] = ord("6")
    report = run(bytes(data), GOV, trust, engine_context, cached)
    assert report.indication == F and report.sub_indication in ("HASH_FAILURE", "FORMAT_FAILURE")


def test_unknown_bytes_are_format_failure(
    trust: TrustStore, engine_context: EngineContext, cached: RevocationSnapshot
) -> None:
    for junk in (b"", b"hello", b"%PDF-1.7\n" + b"\x00" * 500, make_pdf(1)[:200]):
        report = run(junk, GOV, trust, engine_context, cached)
        assert (report.indication, report.sub_indication) == (F, "FORMAT_FAILURE")


def test_unrevoked_status_cache_is_keyed_by_policy_and_revocation_version(
    corpus_files: dict[str, bytes], trust: TrustStore, cached: RevocationSnapshot, pki: TestPki
) -> None:
    ctx = EngineContext(trust)
    policy = trust.policy(GOV)
    signer = pki.cert("gov-agency")
    assert run(corpus_files["valid-B-T"], GOV, trust, ctx, cached).indication == P
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    assert ctx.known_unrevoked(policy, cached, signer, now)
    assert not ctx.known_unrevoked(trust.policy(ANY), cached, signer, now)
    assert not ctx.known_unrevoked(policy, cached, signer, now + timedelta(minutes=6))
    # another cache version (the refresher brought new data): checked again, here without data at all
    again = run(corpus_files["valid-B-T"], GOV, trust, ctx, RevocationSnapshot("empty"))
    assert again.sub_indication == "TRY_LATER"
    # a revoked signer is never remembered, and still fails on a second look
    for _ in range(2):
        report = run(corpus_files["revoked-before-signing"], GOV, trust, ctx, cached)
        assert (report.indication, report.sub_indication) == (F, "REVOKED")
    assert not ctx.known_unrevoked(policy, cached, pki.cert("gov-revoked-before"), now)
    # an expired signer stays expired with a warm cache
    for _ in range(2):
        assert run(corpus_files["expired"], GOV, trust, ctx, cached).sub_indication == "EXPIRED"
