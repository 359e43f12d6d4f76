"""The service against the real local servers (Kafka, FerretDB, SeaweedFS S3): HTTP and Kafka interfaces,
the revocation refresher over HTTP with the OCSP address rewrite, and signing through the API."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi.testclient import TestClient
from kho_contracts import decode, encode, new_envelope
from kho_contracts.common import DocumentType, Indication, ObjectRef
from kho_contracts.events import DocumentUploaded, SignatureRejected, SignatureVerified
from kho_contracts.topics import SIGNATURE_VERDICTS
from kho_platform.testing import TestIdentityProvider
from kho_signature.app import create_app
from kho_signature.deps import SignatureService
from kho_signature.revocation import RevocationSnapshot
from kho_signature.settings import SignatureSettings
from kho_signature.testing import make_pdf
from kho_signature.testing.http import PkiServer
from kho_signature.testing.pki import TestPki
from kho_signature.trust import TrustStore
from kho_signature.validation.engine import EngineContext, validate
from minio import Minio

from .test_engine_corpus import CASES, corpus_files  # noqa: F401  (the session-scoped corpus)

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:8]
INTERFACE_CASES = [name for name, case in CASES.items() if case.revocation == "cached"]


@pytest.fixture(scope="module")
def pki_server(pki: TestPki) -> Iterator[PkiServer]:
    server = PkiServer(pki).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> TestIdentityProvider:
    return TestIdentityProvider(tmp_path_factory.mktemp("idp"))


@pytest.fixture(scope="module")
def settings(
    pki: TestPki, pki_server: PkiServer, idp: TestIdentityProvider, tmp_path_factory: pytest.TempPathFactory
) -> SignatureSettings:
    keys = tmp_path_factory.mktemp("keys")
    (keys / "agency.p12").write_bytes(pki.pkcs12("gov-agency", b"thu-nghiem"))
    (keys / "agency.pass").write_text("thu-nghiem")
    return SignatureSettings(
        environment="test",
        kafka_topic_prefix=f"sigtest{RUN}.",
        mongo_database=f"kho_signature_test_{RUN}",
        s3_bucket_prefix=f"kho-sig{RUN}-",
        oidc_jwks_file=str(idp.jwks_file),
        oidc_jwks_url="",
        oidc_issuer=idp.issuer,
        oidc_audience=idp.audience,
        signature_government_anchors=str(pki.government_anchors),
        signature_public_anchors=str(pki.public_anchors),
        signature_intermediates=str(pki.intermediates),
        signature_revocation_dir=str(tmp_path_factory.mktemp("revocation")),
        signature_url_rewrites=pki_server.rewrites,
        signature_revocation_refresh_seconds=3600,
        signature_workers=2,
        signature_cpu_seconds=8,
        signature_keys={
            "ubnd-tinh": {
                "kind": "pkcs12",
                "path": str(keys / "agency.p12"),
                "password_file": str(keys / "agency.pass"),
            }
        },
        signature_tsa_url=pki_server.tsa_url,
    )


@pytest.fixture(scope="module")
def client(settings: SignatureSettings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app) as c:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if c.get("/readyz").status_code == 200:
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"service not ready: {c.get('/readyz').json()}")
        runtime = c.app.state.runtime  # type: ignore[attr-defined]
        try:
            yield c
        finally:
            _remove_buckets(runtime.s3, list(runtime.buckets.values()))
    _drop_database(settings)


def _remove_buckets(s3: Minio, buckets: list[str]) -> None:
    """This run's buckets go away with their objects (the S3 server allows a limited number of buckets)."""
    for bucket in buckets:
        if not s3.bucket_exists(bucket):
            continue
        for obj in s3.list_objects(bucket, recursive=True):
            s3.remove_object(bucket, obj.object_name or "")
        s3.remove_bucket(bucket)


def _drop_database(settings: SignatureSettings) -> None:
    from pymongo import MongoClient

    with MongoClient(settings.mongo_url, serverSelectionTimeoutMS=3000) as mongo:
        mongo.drop_database(settings.database_name)


@pytest.fixture(scope="module")
def service(client: TestClient) -> SignatureService:
    deps: SignatureService = client.app.state.deps  # type: ignore[attr-defined]
    return deps


@pytest.fixture(scope="module")
def refreshed(service: SignatureService, client: TestClient, pki_server: PkiServer) -> None:
    """The refresher has run once against the local PKI server (through the URL rewrites)."""
    from kho_signature.testing.pki import SIGNERS

    for label in SIGNERS:
        service.cache.watch(service_pki_cert(service, label, pki_server))
    report = asyncio.run(service.refresher.refresh_once())
    assert report.crls >= 7 and report.ocsps >= 6, report.errors


def service_pki_cert(service: SignatureService, label: str, server: PkiServer) -> Any:
    return server.pki.cert(label)


def auth(idp: TestIdentityProvider) -> dict[str, str]:
    return idp.citizen("001099000123")


def test_refresher_uses_the_ocsp_rewrite(refreshed: None, pki_server: PkiServer) -> None:
    # the government certificates name http://ocsp.ca.ptc/...: the rewrite sent the requests here
    assert "POST /kho-test/ocsp/gov-ca-g2" in pki_server.requests
    assert any(r.startswith("GET /kho-test/crls/gov-ca-g2/") for r in pki_server.requests)


@pytest.mark.parametrize("name", INTERFACE_CASES)
def test_http_validation_gives_the_expected_verdict(
    name: str,
    client: TestClient,
    refreshed: None,
    corpus_files: dict[str, bytes],  # noqa: F811
    idp: TestIdentityProvider,
) -> None:
    case = CASES[name]
    response = client.post(
        "/v1/validations",
        headers=auth(idp),
        data={"policy": case.policy},
        files={"file": (f"{name}.pdf", corpus_files[name], "application/pdf")},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["indication"], body["sub_indication"]) == (case.indication.value, case.sub), body["message_en"]
    stored = client.get(f"/v1/validations/{body['id']}", headers=auth(idp))
    assert stored.status_code == 200 and stored.json()["indication"] == case.indication.value
    xml = client.get(body["etsi_report"], headers=auth(idp))
    assert xml.status_code == 200 and b"urn:etsi:019102:mainindication" in xml.content


def test_http_validation_by_s3_reference(
    client: TestClient,
    service: SignatureService,
    refreshed: None,
    corpus_files: dict[str, bytes],  # noqa: F811
    idp: TestIdentityProvider,
) -> None:
    bucket = service.runtime.bucket("signature-reports")
    data = corpus_files["valid-B-LT"]
    service.runtime.s3.put_object(bucket, f"incoming/{RUN}.pdf", io.BytesIO(data), len(data))
    response = client.post(
        "/v1/validations",
        headers=auth(idp),
        json={"bucket": bucket, "key": f"incoming/{RUN}.pdf", "policy": "government-result"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["indication"] == "TOTAL_PASSED"
    missing = client.post(
        "/v1/validations",
        headers=auth(idp),
        json={"bucket": bucket, "key": "does/not/exist.pdf", "policy": "government-result"},
    )
    assert missing.status_code == 404


def test_http_rejects_unknown_policy_and_anonymous_callers(client: TestClient, idp: TestIdentityProvider) -> None:
    pdf = make_pdf(1)
    assert (
        client.post(
            "/v1/validations", data={"policy": "government-result"}, files={"file": ("a.pdf", pdf, "application/pdf")}
        ).status_code
        == 401
    )
    response = client.post(
        "/v1/validations",
        headers=auth(idp),
        data={"policy": "no-such-policy"},
        files={"file": ("a.pdf", pdf, "application/pdf")},
    )
    assert response.status_code == 422


def test_try_later_then_refresher_then_passed(
    client: TestClient,
    service: SignatureService,
    corpus_files: dict[str, bytes],  # noqa: F811
    idp: TestIdentityProvider,
    pki: TestPki,
    tmp_path: Path,
) -> None:
    # a fresh cache: the B-T file has no revocation data of its own
    from kho_signature.revocation import Refresher, RevocationCache

    cache = RevocationCache(tmp_path / "cache")
    trust = TrustStore.from_files([pki.government_anchors], [pki.public_anchors], [pki.intermediates])
    ctx = EngineContext(trust)
    report, _ = validate(corpus_files["valid-B-T"], trust.policy("government-result"), ctx, cache.snapshot())
    assert report.sub_indication == "TRY_LATER" and report.missing_revocation
    import base64

    from asn1crypto import x509

    cache.watch(x509.Certificate.load(base64.b64decode(report.missing_revocation[0])))
    refresher = Refresher(cache, issuers=trust.intermediates, rewrites=service.refresher.rewrites)
    asyncio.run(refresher.refresh_once())
    report, _ = validate(corpus_files["valid-B-T"], trust.policy("government-result"), ctx, cache.snapshot())
    assert report.indication == Indication.TOTAL_PASSED, report.message_en


def test_sign_endpoint_makes_a_valid_certified_copy(
    client: TestClient, refreshed: None, idp: TestIdentityProvider, pki: TestPki
) -> None:
    officer = idp.officer("000.00.01.H01", roles=["certify"])
    form = {
        "profile": "ubnd-tinh",
        "agency_code": "000.00.01.H01",
        "reason": "Chứng thực bản sao từ bản chính",
        "stamp_heading": "BẢN SAO ĐIỆN TỬ ĐƯỢC CHỨNG THỰC TỪ BẢN CHÍNH",
        "stamp_lines": json.dumps(["Số chứng thực: 7/2026/SCT-BS", "Ngày 05/03/2026"], ensure_ascii=False),
    }
    response = client.post(
        "/v1/signatures", headers=officer, data=form, files={"file": ("copy.pdf", make_pdf(5), "application/pdf")}
    )
    assert response.status_code == 200, response.text
    signed = response.content
    trust = TrustStore.from_files([pki.government_anchors], [pki.public_anchors], [pki.intermediates])
    report, _ = validate(signed, trust.policy("government-result"), EngineContext(trust), RevocationSnapshot("none"))
    assert report.indication == Indication.TOTAL_PASSED, report.message_en
    assert report.signatures[0].certification == "NO_CHANGES" and report.signatures[0].level == "B-LT"
    # stored variant, and the refusals
    stored = client.post(
        "/v1/signatures",
        headers=officer,
        data={**form, "store": "true"},
        files={"file": ("copy.pdf", make_pdf(1), "application/pdf")},
    )
    assert stored.status_code == 201 and stored.json()["key"].startswith("signed/")
    other_agency = idp.officer("000.00.02.H01", roles=["certify"])
    assert (
        client.post(
            "/v1/signatures",
            headers=other_agency,
            data=form,
            files={"file": ("copy.pdf", make_pdf(1), "application/pdf")},
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/v1/signatures", headers=auth(idp), data=form, files={"file": ("copy.pdf", make_pdf(1), "application/pdf")}
        ).status_code
        == 403
    )
    bad = client.post(
        "/v1/signatures",
        headers=officer,
        data={**form, "profile": "nope"},
        files={"file": ("copy.pdf", make_pdf(1), "application/pdf")},
    )
    assert bad.status_code == 422


async def _kafka_roundtrip(
    settings: SignatureSettings, service: SignatureService, files: dict[str, tuple[bytes, str]]
) -> dict[str, Any]:
    s3: Minio = service.runtime.s3
    bucket = service.runtime.bucket("signature-reports")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    consumer = AIOKafkaConsumer(
        f"{settings.kafka_topic_prefix}{SIGNATURE_VERDICTS}",
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await producer.start()
    await consumer.start()
    try:
        for doc_id, (data, policy) in files.items():
            key = f"uploads/{doc_id}.pdf"
            await asyncio.to_thread(s3.put_object, bucket, key, io.BytesIO(data), len(data))
            event = DocumentUploaded(
                document_id=doc_id,
                version=1,
                owner_id="001099000123",
                document_type=DocumentType.ISSUED_RESULT,
                file=ObjectRef(bucket=bucket, key=key, sha256=hashlib.sha256(data).hexdigest(), size=len(data)),
                policy=policy,
            )
            record = encode(
                event,
                new_envelope(event, source="/kho/vault-test", time=datetime.now(UTC)),
                topic_prefix=settings.kafka_topic_prefix,
            )
            await producer.send_and_wait(record.topic, record.value, key=record.key, headers=record.headers)
        verdicts: dict[str, Any] = {}
        deadline = time.monotonic() + 240
        while len(verdicts) < len(files) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                for r in records:
                    _, verdict = decode(r.headers or (), r.value or b"")
                    verdicts[verdict.document_id] = verdict  # type: ignore[attr-defined]
        return verdicts
    finally:
        await producer.stop()
        await consumer.stop()


def test_kafka_document_uploaded_gives_the_expected_verdicts(
    client: TestClient,
    settings: SignatureSettings,
    service: SignatureService,
    refreshed: None,
    corpus_files: dict[str, bytes],  # noqa: F811
) -> None:
    files = {f"{RUN}-{name}": (corpus_files[name], CASES[name].policy) for name in INTERFACE_CASES}
    verdicts = asyncio.run(_kafka_roundtrip(settings, service, files))
    assert set(verdicts) == set(files)
    for doc_id, verdict in verdicts.items():
        case = CASES[doc_id.removeprefix(f"{RUN}-")]
        expected_cls = SignatureVerified if case.indication == Indication.TOTAL_PASSED else SignatureRejected
        assert isinstance(verdict, expected_cls), doc_id
        assert (verdict.indication, verdict.sub_indication) == (case.indication, case.sub), (doc_id, verdict.message_en)
        assert verdict.report_key and verdict.message_vi
    valid = verdicts[f"{RUN}-valid-B-LT"]
    assert valid.signers[0].uid == "MNS:1000001"
