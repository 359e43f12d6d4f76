"""Signing certified copies: certifying PAdES B-LT with a Vietnamese stamp, keys from PKCS#12 and PKCS#11."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from kho_contracts.common import Indication
from kho_signature.revocation import RevocationSnapshot
from kho_signature.signing.keys import KeyProfile, KeyRing
from kho_signature.signing.signer import SignatureOptions, SigningError, SigningMaterial, async_sign_pdf
from kho_signature.signing.stamp import StampText, prepared_font
from kho_signature.testing import corpus, make_pdf
from kho_signature.testing.pki import TestPki
from kho_signature.trust import TrustStore
from kho_signature.validation.engine import EngineContext, validate

from .conftest import SoftHsm

STAMP = StampText(
    "BẢN SAO ĐIỆN TỬ ĐƯỢC CHỨNG THỰC TỪ BẢN CHÍNH",
    ("Số chứng thực: 125/2026/SCT-BS", "Ngày chứng thực: 05/03/2026", "Phòng Tư pháp huyện Thử Nghiệm"),
)


def sign(pdf: bytes, key_ring: KeyRing, profile: str, material: SigningMaterial, **kw: object) -> bytes:
    key = key_ring.get(profile)
    options = SignatureOptions(stamp=STAMP, **kw)  # type: ignore[arg-type]
    return asyncio.run(async_sign_pdf(pdf, key.signer, key.chain, material, options))


@pytest.fixture()
def p12_ring(pki: TestPki, tmp_path: Path) -> KeyRing:
    path = tmp_path / "signer.p12"
    path.write_bytes(pki.pkcs12("gov-agency", b"mat-khau-thu"))
    (tmp_path / "signer.pass").write_text("mat-khau-thu\n")
    return KeyRing(
        {"certified-copy": KeyProfile(kind="pkcs12", path=str(path), password_file=str(tmp_path / "signer.pass"))}
    )


def test_certified_copy_validates_and_fails_after_any_change(
    p12_ring: KeyRing,
    material: SigningMaterial,
    trust: TrustStore,
    engine_context: EngineContext,
    cached: RevocationSnapshot,
) -> None:
    signed = sign(make_pdf(5), p12_ring, "certified-copy", material)
    report, _ = validate(signed, trust.policy("government-result"), engine_context, RevocationSnapshot("none"))
    assert report.indication == Indication.TOTAL_PASSED, report.message_en
    sig = report.signatures[0]
    assert sig.level == "B-LT" and sig.certification == "NO_CHANGES"
    for changed in (
        corpus.change_content_after_signing(signed),
        corpus.annotate_over_content(signed),
        corpus.append_bytes(signed),
    ):
        bad, _ = validate(changed, trust.policy("government-result"), engine_context, cached)
        assert bad.indication == Indication.TOTAL_FAILED, bad.message_en


def test_b_lta_is_produced(
    p12_ring: KeyRing, material: SigningMaterial, trust: TrustStore, engine_context: EngineContext
) -> None:
    signed = sign(make_pdf(1), p12_ring, "certified-copy", material, level="B-LTA")
    report, _ = validate(signed, trust.policy("government-result"), engine_context, RevocationSnapshot("none"))
    assert report.indication == Indication.TOTAL_PASSED and report.signatures[0].level == "B-LTA"


def test_stamp_text_is_vietnamese_and_glyphs_are_not_spread(
    p12_ring: KeyRing, material: SigningMaterial, tmp_path: Path
) -> None:
    signed = sign(make_pdf(1), p12_ring, "certified-copy", material)
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    # with the widths twice too large, pdftotext sees the letters as separate words ("B Ả N  S A O")
    assert "BẢN SAO ĐIỆN TỬ ĐƯỢC CHỨNG THỰC TỪ BẢN CHÍNH" in text
    assert "Số chứng thực: 125/2026/SCT-BS" in text
    assert "Người ký: Sở Tư pháp tỉnh Thử Nghiệm" in text
    # the rendered stamp: the heading's ink fits inside the stamp box (330 pt wide at the page's right)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "72",
            "-gray",
            "-x",
            "0",
            "-y",
            "700",
            "-W",
            "595",
            "-H",
            "142",
            str(path),
            str(tmp_path / "stamp"),
        ],
        check=True,
    )
    image = next(tmp_path.glob("stamp*.pgm")).read_bytes()
    header_end = image.index(b"255\n") + 4
    width, height = (int(v) for v in image[3 : header_end - 4].split()[:2])
    pixels = image[header_end:]
    dark_columns = [x for x in range(width) if any(pixels[y * width + x] < 128 for y in range(height))]
    assert dark_columns, "nothing drawn"
    assert min(dark_columns) >= 595 - 30 - 330 - 2 and max(dark_columns) <= 595 - 30 + 2


def test_prepared_font_has_1000_units_per_em() -> None:
    from fontTools.ttLib import TTFont

    font = TTFont(prepared_font())
    assert font["head"].unitsPerEm == 1000
    assert ord("Ữ") in font.getBestCmap() and ord("đ") in font.getBestCmap()


def test_signing_without_revocation_data_fails_clearly(p12_ring: KeyRing, material: SigningMaterial) -> None:
    empty = SigningMaterial(
        timestamper=material.timestamper,
        roots=material.roots,
        intermediates=material.intermediates,
        revocation=RevocationSnapshot("none"),
    )
    with pytest.raises(SigningError):
        sign(make_pdf(1), p12_ring, "certified-copy", empty)


def test_signing_refuses_broken_input(p12_ring: KeyRing, material: SigningMaterial) -> None:
    with pytest.raises(SigningError):
        sign(b"not a pdf", p12_ring, "certified-copy", material)


def _softhsm_import(pki: TestPki, hsm: SoftHsm, tmp_path: Path) -> None:
    env = {**hsm.env, "PATH": "/usr/bin:/bin"}
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", hsm.token_label, "--pin", hsm.pin, "--so-pin", "5678"],
        check=True,
        capture_output=True,
        env=env,
    )
    key = serialization.load_der_private_key(pki.private_key("gov-agency").dump(), password=None)
    pem = tmp_path / "key.pem"
    pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    subprocess.run(
        [
            "softhsm2-util",
            "--import",
            str(pem),
            "--token",
            hsm.token_label,
            "--label",
            "signer",
            "--id",
            "01",
            "--pin",
            hsm.pin,
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    pem.unlink()  # the key now lives only in the token
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    lib = pkcs11.lib(hsm.module)
    token = lib.get_token(token_label=hsm.token_label)
    with token.open(rw=True, user_pin=hsm.pin) as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: "signer",
                Attribute.ID: b"\x01",
                Attribute.VALUE: pki.cert("gov-agency").dump(),
                Attribute.SUBJECT: pki.cert("gov-agency").subject.dump(),
                Attribute.ISSUER: pki.cert("gov-agency").issuer.dump(),
                Attribute.SERIAL_NUMBER: pki.cert("gov-agency")["tbs_certificate"]["serial_number"].dump(),
            }
        )


def test_pkcs11_key_in_softhsm_signs_valid_certified_copy(
    pki: TestPki,
    softhsm: SoftHsm,
    tmp_path: Path,
    material: SigningMaterial,
    trust: TrustStore,
    engine_context: EngineContext,
) -> None:
    _softhsm_import(pki, softhsm, tmp_path)
    chain = tmp_path / "chain.pem"
    chain.write_bytes(pki.intermediates.read_bytes())
    (tmp_path / "pin").write_text(softhsm.pin)
    ring = KeyRing(
        {
            "result": KeyProfile(
                kind="pkcs11",
                module=softhsm.module,
                token_label=softhsm.token_label,
                key_label="signer",
                pin_file=str(tmp_path / "pin"),
                chain_file=str(chain),
            )
        }
    )
    try:
        signed = sign(make_pdf(2), ring, "result", material)
    finally:
        ring.close()
    report, _ = validate(signed, trust.policy("government-result"), engine_context, RevocationSnapshot("none"))
    assert report.indication == Indication.TOTAL_PASSED, report.message_en
    assert report.signatures[0].signer is not None
    assert report.signatures[0].signer.uid == "MNS:1000001"
