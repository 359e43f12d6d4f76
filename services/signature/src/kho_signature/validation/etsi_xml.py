"""The ETSI TS 119 102-2 validation report (XML, namespace ``http://uri.etsi.org/19102/v1.2.1#``), kept
beside the JSON report.

Per signature: the signature identifier (digest of the signed attributes, signature value), validation
time and best signature time, the digest of the signed document, the signer's certificate as a reference
to a validation object, the validation process (Basic, LTVM or LTA) and the status, which is the service's
final verdict (it adds the coverage, modification and validity-window checks to pyHanko's AdES answer).
The validation objects (certificates, CRLs, OCSP responses that were relevant) follow, in base64.

Written with lxml directly: pyHanko's generator (xsdata) produces the same structure but cost a fifth of
the whole validation time.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any

from kho_contracts.common import Indication
from lxml import etree
from pyhanko.sign.validation.ades import (
    AdESLTAValidationResult,
    AdESWithTimeValidationResult,
    derive_validation_object_binary_data,
    derive_validation_object_identifier,
)
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator.ltv.poe import ValidationObject, ValidationObjectType

from kho_signature.validation.report import ValidationReport

VR = "http://uri.etsi.org/19102/v1.2.1#"
DS = "http://www.w3.org/2000/09/xmldsig#"
NSMAP = {"vr": VR, "ds": DS}
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
_MAIN = {
    Indication.TOTAL_PASSED: "urn:etsi:019102:mainindication:total-passed",
    Indication.TOTAL_FAILED: "urn:etsi:019102:mainindication:total-failed",
    Indication.INDETERMINATE: "urn:etsi:019102:mainindication:indeterminate",
}


def _el(parent: Any, ns: str, name: str, text: str | None = None, **attrs: str) -> Any:
    node = etree.SubElement(parent, f"{{{ns}}}{name}", attrs)
    if text is not None:
        node.text = text
    return node


def _time(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _digest(parent: Any, value: bytes) -> None:
    dav = _el(parent, VR, "DigestAlgAndValue")
    _el(dav, DS, "DigestMethod", Algorithm=SHA256)
    _el(dav, DS, "DigestValue", base64.b64encode(value).decode())


def _status(parent: Any, indication: Indication, sub: str | None) -> None:
    status = _el(parent, VR, "SignatureValidationStatus")
    _el(status, VR, "MainIndication", _MAIN[indication])
    if sub:
        _el(status, VR, "SubIndication", f"urn:etsi:019102:subindication:{sub}")


def _render(root: Any) -> str:
    return str(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode())


def _signature(
    root: Any,
    sig: EmbeddedPdfSignature | None,
    result: Any,
    indication: Indication,
    sub: str | None,
    validated_at: datetime,
) -> None:
    node = _el(root, VR, "SignatureValidationReport")
    if sig is not None:
        ident = _el(node, VR, "SignatureIdentifier")
        _digest(ident, hashlib.sha256(sig.signer_info["signed_attrs"].dump()).digest())
        _el(ident, DS, "SignatureValue", base64.b64encode(sig.signer_info["signature"].native).decode())
        _el(ident, VR, "HashOnly", "false")
        _el(ident, VR, "DocHashOnly", "false")
    times = _el(node, VR, "ValidationTimeInfo")
    _el(times, VR, "ValidationTime", _time(validated_at))
    bst = getattr(result, "best_signature_time", None)
    if bst is not None:
        poe = _el(times, VR, "BestSignatureTime")
        _el(poe, VR, "POETime", _time(bst))
        _el(poe, VR, "TypeOfProof", "urn:etsi:019102:poetype:validation")
    if sig is not None:
        _digest(_el(node, VR, "SignersDocument"), sig.compute_digest())
        signer = ValidationObject(object_type=ValidationObjectType.CERTIFICATE, value=sig.signer_cert)
        info = _el(node, VR, "SignerInformation")
        _el(info, VR, "SignerCertificate", VOReference=derive_validation_object_identifier(signer) or "")
    if result is not None:
        process = (
            "LTA"
            if isinstance(result, AdESLTAValidationResult)
            else "LTVM"
            if isinstance(result, AdESWithTimeValidationResult)
            else "Basic"
        )
        proc = _el(node, VR, "SignatureValidationProcess")
        _el(proc, VR, "SignatureValidationProcessID", f"urn:etsi:019102:validationprocess:{process}")
    _status(node, indication, sub)


def minimal_report(report: ValidationReport) -> str:
    root = etree.Element(f"{{{VR}}}ValidationReport", nsmap=NSMAP)
    _signature(root, None, None, report.indication, report.sub_indication, report.validated_at)
    return _render(root)


def full_report(report: ValidationReport, parts: list[tuple[EmbeddedPdfSignature, Any]]) -> str:
    root = etree.Element(f"{{{VR}}}ValidationReport", nsmap=NSMAP)
    objects: dict[str, ValidationObject] = {}
    for sig, (result, indication, code) in parts:
        try:
            _signature(root, sig, result, indication, code, report.validated_at)
        except Exception:  # e.g. no signing certificate: the verdict alone
            _signature(root, None, result, indication, code, report.validated_at)
        for vo in getattr(result, "validation_objects", ()):
            ident = derive_validation_object_identifier(vo)
            if ident:
                objects.setdefault(ident, vo)
    for sig_report in report.signatures:
        if sig_report.sub_indication == "FORMAT_FAILURE":
            _signature(root, None, None, sig_report.indication, sig_report.sub_indication, report.validated_at)
    if objects:
        listing = _el(root, VR, "SignatureValidationObjects")
        for ident, vo in objects.items():
            node = _el(listing, VR, "ValidationObject", id=ident)
            _el(node, VR, "ObjectType", vo.object_type.urn())  # type: ignore[no-untyped-call]
            data = derive_validation_object_binary_data(vo)
            if data:
                rep = _el(node, VR, "ValidationObjectRepresentation")
                _el(rep, VR, "base64", base64.b64encode(data).decode())
    return _render(root)
