"""Signing as a test signer of the test PKI (see :mod:`kho_signature.testing.pki`), through the same
code path as the service (:func:`kho_signature.signing.signer.async_sign_pdf`), with the test PKI's
revocation data and an in-process TSA. Nothing here touches the network."""

from __future__ import annotations

import asyncio
from datetime import datetime

from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from kho_signature.revocation import RevocationSnapshot
from kho_signature.signing.local import LocalKeySigner
from kho_signature.signing.signer import Level, SignatureOptions, SigningMaterial, async_sign_pdf
from kho_signature.signing.stamp import StampText
from kho_signature.testing.pki import TestPki


def signer_for(pki: TestPki, label: str) -> signers.SimpleSigner:
    chain = pki.chain(label)
    return LocalKeySigner(
        signing_cert=chain[0],
        signing_key=pki.private_key(label),
        cert_registry=SimpleCertificateStore.from_certs(chain[1:-1] or []),  # type: ignore[no-untyped-call]
    )


def material_for(
    pki: TestPki, *, timestamp_at: datetime | None = None, revocation_at: datetime | None = None
) -> SigningMaterial:
    crls, ocsps = pki.revocation_material(revocation_at)
    from asn1crypto import crl as asn1_crl
    from asn1crypto import ocsp as asn1_ocsp

    snapshot = RevocationSnapshot(
        version="test",
        crls=tuple(asn1_crl.CertificateList.load(d) for d in crls),
        ocsps=tuple(asn1_ocsp.OCSPResponse.load(d) for d in ocsps),
    )
    return SigningMaterial(
        timestamper=pki.timestamper(timestamp_at),
        roots=[pki.cert("gov-root-g2"), pki.cert("gov-root-g1"), pki.cert("pub-root"), pki.cert("rogue-root")],
        intermediates=[pki.cert("gov-ca-g2"), pki.cert("gov-ca-cp"), pki.cert("pub-ca")],
        revocation=snapshot,
        moment=timestamp_at,
    )


async def async_sign_as(
    pki: TestPki,
    label: str,
    pdf: bytes,
    *,
    level: Level = "B-LT",
    certify: bool = False,
    timestamp_at: datetime | None = None,
    stamp: StampText | None = None,
    material: SigningMaterial | None = None,
) -> bytes:
    """Signs ``pdf`` as the test signer ``label`` (see :data:`kho_signature.testing.pki.SIGNERS`).

    ``level`` B-B (no timestamp), B-T, B-LT (default: revocation data embedded, validates offline) or B-LTA.
    ``timestamp_at`` fixes the TSA's clock (e.g. before a revocation). Returns the signed PDF."""
    options = SignatureOptions(level=level, certify=certify, stamp=stamp, reason="Thử nghiệm")
    return await async_sign_pdf(
        pdf, signer_for(pki, label), pki.chain(label), material_for(pki, timestamp_at=timestamp_at), options
    )


def sign_as(pki: TestPki, label: str, pdf: bytes, **kwargs: object) -> bytes:
    """Synchronous :func:`async_sign_as` (not from inside a running event loop)."""
    return asyncio.run(async_sign_as(pki, label, pdf, **kwargs))  # type: ignore[arg-type]
