from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from kho_signature.revocation import RevocationSnapshot
from kho_signature.signing.signer import SigningMaterial
from kho_signature.testing import build_test_pki, make_pdf, material_for
from kho_signature.testing.pki import TestPki
from kho_signature.trust import TrustStore
from kho_signature.validation.engine import EngineContext


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return build_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def trust(pki: TestPki) -> TrustStore:
    return TrustStore.from_files([pki.government_anchors], [pki.public_anchors], [pki.intermediates])


@pytest.fixture(scope="session")
def engine_context(trust: TrustStore) -> EngineContext:
    return EngineContext(trust)


@pytest.fixture(scope="session")
def cached(pki: TestPki) -> RevocationSnapshot:
    """What the service's revocation cache holds after a refresh."""
    crls, ocsps = pki.revocation_material()
    return RevocationSnapshot(
        "cached",
        tuple(asn1_crl.CertificateList.load(c) for c in crls),
        tuple(asn1_ocsp.OCSPResponse.load(o) for o in ocsps),
    )


@pytest.fixture(scope="session")
def material(pki: TestPki) -> SigningMaterial:
    return material_for(pki)


@pytest.fixture(scope="session")
def plain_pdf() -> bytes:
    return make_pdf(2, lines=("Ho va ten: NGUYEN VAN THU", "So: 123/2026/GKS"))


@dataclass
class SoftHsm:
    module: str
    token_label: str
    pin: str
    env: dict[str, str]


@pytest.fixture()
def softhsm(tmp_path: Path) -> Iterator[SoftHsm]:
    module = next(
        (
            p
            for p in ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
            if os.path.exists(p)
        ),
        None,
    )
    if module is None:
        pytest.skip("SoftHSM2 is not installed")
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    old = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    try:
        yield SoftHsm(module, "kho-test", "1234", {"SOFTHSM2_CONF": str(conf)})
    finally:
        if old is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = old


def days_ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)
