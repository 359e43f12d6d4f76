"""Signing a PDF: PAdES (ETSI.CAdES.detached), certifying with "no changes allowed" by default, a signature
timestamp, validation data embedded (B-LT), optionally a document timestamp on top (B-LTA), and a visible
stamp in Vietnamese.

Revocation data comes from the service's cache (offline-first, as for validation): signing fails with a
clear reason when the cache has nothing for the signer's chain, instead of calling a slow CA in the
middle of a request.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.signers.pdf_signer import PdfSigner
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator import ValidationContext

from kho_signature.revocation import RevocationSnapshot
from kho_signature.signing.stamp import StampLayout, StampText, stamp_box, stamp_style

# "revocation info will be embedded, but fetching is not allowed": intended, the cache provides it
logging.getLogger("pyhanko.sign.signers.pdf_signer").setLevel(logging.ERROR)

Level = Literal["B-B", "B-T", "B-LT", "B-LTA"]


class SigningError(Exception):
    """The document cannot be signed as asked (bad PDF, missing revocation data, key problem)."""


@dataclass(frozen=True)
class SignatureOptions:
    level: Level = "B-LT"
    certify: bool = True
    """A certifying (author) signature with DocMDP "no changes allowed"; otherwise an approval signature."""
    docmdp: MDPPerm = MDPPerm.NO_CHANGES
    reason: str | None = None
    location: str | None = None
    stamp: StampText | None = None
    layout: StampLayout = field(default_factory=StampLayout)
    field_name: str | None = None
    signer_name: str | None = None
    bytes_reserved: int | None = 24 * 1024
    """Space kept for the signature container; None measures it with a dry run (slower)."""


@dataclass(frozen=True)
class SigningMaterial:
    """Everything besides the key: the TSA, the trust roots (to build the chain whose revocation data is
    embedded), intermediates and cached revocation data."""

    timestamper: TimeStamper | None
    roots: list[asn1_x509.Certificate]
    intermediates: list[asn1_x509.Certificate] = field(default_factory=list)
    revocation: RevocationSnapshot | None = None
    moment: datetime | None = None


def _validation_context(material: SigningMaterial, extra: list[asn1_x509.Certificate]) -> ValidationContext:
    rev = material.revocation or RevocationSnapshot(version="")
    return ValidationContext(
        trust_roots=material.roots,
        other_certs=[*material.intermediates, *extra],
        crls=list(rev.crls),
        ocsps=list(rev.ocsps),
        allow_fetching=False,
        revocation_mode="hard-fail",
        moment=material.moment,
    )


def _next_field_name(reader: PdfFileReader) -> str:
    existing = {name for name, _, _ in fields.enumerate_sig_fields(reader, filled_status=None)}
    n = 1
    while f"KhoSignature{n}" in existing:
        n += 1
    return f"KhoSignature{n}"


async def async_sign_pdf(
    pdf: bytes,
    signer: signers.Signer,
    chain: list[asn1_x509.Certificate],
    material: SigningMaterial,
    options: SignatureOptions | None = None,
) -> bytes:
    options = options or SignatureOptions()
    if options.level != "B-B" and material.timestamper is None:
        raise SigningError(f"level {options.level} needs a timestamping authority")
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=True)
    except Exception as exc:
        raise SigningError(f"not a readable PDF: {type(exc).__name__}: {exc}") from exc
    if writer.prev.encrypted:
        raise SigningError("encrypted PDFs are not signed")
    reader = writer.prev
    field_name = options.field_name or _next_field_name(reader)
    long_term = options.level in ("B-LT", "B-LTA")
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        certify=options.certify,
        docmdp_permissions=options.docmdp,
        reason=options.reason,
        location=options.location,
        name=options.signer_name,
        embed_validation_info=long_term,
        use_pades_lta=options.level == "B-LTA",
        validation_context=_validation_context(material, chain[1:]) if long_term else None,
    )
    stamp_style_ = None
    new_field = None
    if options.stamp is not None:
        stamp_style_ = stamp_style(options.stamp, options.layout)
        pages = int(reader.root["/Pages"]["/Count"])
        page = options.layout.page if options.layout.page >= 0 else pages + options.layout.page
        if not 0 <= page < pages:
            raise SigningError(f"page {options.layout.page} does not exist (the document has {pages})")
        media = reader.root["/Pages"]
        width = 595.0
        try:
            from pyhanko.pdf_utils.misc import get_and_apply  # noqa: F401

            page_obj = reader.find_page_for_modification(page)[0]  # type: ignore[no-untyped-call]
            box = page_obj.get("/MediaBox") or media.get("/MediaBox")
            if box is not None:
                width = float(box[2]) - float(box[0])
        except Exception:  # the default width does
            width = 595.0
        lines = 1 + len(options.stamp.lines) + int(options.stamp.with_signer) + int(options.stamp.with_time)
        box_ = options.layout.box or stamp_box(width, lines, options.layout.font_size)
        new_field = fields.SigFieldSpec(sig_field_name=field_name, on_page=page, box=box_)
    pdf_signer = PdfSigner(
        meta,
        signer=signer,
        timestamper=material.timestamper if options.level != "B-B" else None,
        stamp_style=stamp_style_,
        new_field_spec=new_field,
    )
    out = io.BytesIO()
    try:
        await pdf_signer.async_sign_pdf(
            writer,
            output=out,
            # room for the CMS (certificates, signature timestamp): no dry run to measure it
            bytes_reserved=options.bytes_reserved,
            appearance_text_params={"signer": options.signer_name} if options.signer_name else None,
        )
    except Exception as exc:
        raise SigningError(f"{type(exc).__name__}: {exc}") from exc
    return out.getvalue()
