"""Hostile and broken variants of signed PDFs, after the PDF-Insecurity attack classes (Ruhr-University
Bochum): incremental saving (content changed after signing), evil annotation, signature wrapping (a
ByteRange that leaves part of the file out, re-signed so that the cryptography is right), universal
forgery (empty signature value, broken ByteRange), plus truncated, encrypted and padded files."""

from __future__ import annotations

import io
import re

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer
from pyhanko.sign import signers

_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\][ \t]*")


def change_content_after_signing(signed: bytes, text: str = "NOI DUNG DA BI SUA") -> bytes:
    """An incremental update that replaces the first page's content stream."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    content = f"BT /F1 16 Tf 72 770 Td ({text}) Tj ET".encode()
    stream = generic.StreamObject(stream_data=content)
    page["/Contents"] = writer.add_object(stream)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()


def annotate_over_content(signed: bytes) -> bytes:
    """An incremental update that lays an opaque square annotation with new text over the first page."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    appearance = generic.StreamObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/XObject"),
            generic.NameObject("/Subtype"): generic.NameObject("/Form"),
            generic.NameObject("/BBox"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (0, 0, 500, 80)]  # type: ignore[no-untyped-call]
            ),
        },
        stream_data=b"1 1 1 rg 0 0 500 80 re f 0 0 0 rg BT /Helv 16 Tf 10 30 Td (DA SUA) Tj ET",
    )
    annot = generic.DictionaryObject(
        {  # type: ignore[no-untyped-call]
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Square"),
            generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(v) for v in (60, 700, 560, 780)]),  # type: ignore[no-untyped-call]
            generic.NameObject("/AP"): generic.DictionaryObject(
                {generic.NameObject("/N"): writer.add_object(appearance)}
            ),  # type: ignore[no-untyped-call]
        }
    )
    annots = page.get("/Annots")
    new = generic.ArrayObject(list(annots) if annots is not None else [])
    new.append(writer.add_object(annot))
    page["/Annots"] = new
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()


def append_bytes(signed: bytes, junk: bytes = b"\n% appended after the end of the file\n" * 4) -> bytes:
    return signed + junk


def truncate(signed: bytes, keep: float = 0.6) -> bytes:
    return signed[: int(len(signed) * keep)]


def _byte_range(data: bytes) -> tuple[re.Match[bytes], tuple[int, int, int, int]]:
    match = list(_BYTE_RANGE.finditer(data))[-1]
    a, b, c, d = (int(x) for x in match.groups())
    return match, (a, b, c, d)


def _replace_byte_range(data: bytes, match: re.Match[bytes], values: tuple[int, int, int, int]) -> bytes:
    old = match.group(0)
    new = f"/ByteRange [{values[0]} {values[1]} {values[2]} {values[3]}]".encode()
    if len(new) > len(old):
        raise ValueError("new ByteRange does not fit")
    new = new + b" " * (len(old) - len(new))
    return data[: match.start()] + new + data[match.end() :]


def empty_signature_value(signed: bytes) -> bytes:
    """The /Contents hole filled with zeros: a signature field whose value is empty."""
    _, (_, b, c, _) = _byte_range(signed)
    return signed[: b + 1] + b"0" * (c - b - 2) + signed[c - 1 :]


def break_byte_range(signed: bytes) -> bytes:
    """A ByteRange that overlaps the signature value and runs past the end of the file."""
    match, (a, b, c, d) = _byte_range(signed)
    return _replace_byte_range(signed, match, (a, b + 40, c - 40, d + 999))


async def resign_partial_coverage(signed: bytes, signer: signers.Signer, uncovered: int = 0) -> bytes:
    """Signature wrapping: the ByteRange is shortened so that the end of the signed revision (its xref and
    trailer, or ``uncovered`` bytes) is left out, and the CMS is made again over the shortened range with
    the real key, so that hash and signature verify."""
    match, (a, b, c, d) = _byte_range(signed)
    cut = uncovered or (len(signed) - signed.rindex(b"startxref"))
    data = _replace_byte_range(signed, match, (a, b, c, d - cut))
    _, (a, b, c, d) = _byte_range(data)
    import hashlib

    digest = hashlib.sha256(data[a : a + b] + data[c : c + d]).digest()
    cms = await signer.async_sign(digest, "sha256", use_pades=True)
    value = cms.dump().hex().encode()
    hole = c - b - 2
    if len(value) > hole:
        raise ValueError("signature does not fit")
    return data[: b + 1] + value + b"0" * (hole - len(value)) + data[c - 1 :]  # type: ignore[no-any-return]


def encrypt(pdf: bytes, user_password: str = "khach") -> bytes:  # noqa: S107  (a test file)
    """The file encrypted with AES-256 and a user password (cannot be opened without it)."""
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(pdf)))
    writer.encrypt("chu-so-huu", user_password)  # type: ignore[no-untyped-call]
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()


__all__ = [
    "annotate_over_content",
    "append_bytes",
    "break_byte_range",
    "change_content_after_signing",
    "empty_signature_value",
    "encrypt",
    "resign_partial_coverage",
    "truncate",
]
