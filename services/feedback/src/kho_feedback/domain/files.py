"""What a corrected file must look like before it is accepted from an officer. The full signature check
(chain to the Ban Cơ yếu CA, integrity, revocation) is the vault's and the signature service's job when
the file becomes the document's new version; here an unsigned or non-PDF file is refused at once."""

from __future__ import annotations


def looks_like_signed_pdf(data: bytes) -> bool:
    """A PDF (header) carrying at least one signature dictionary (a /ByteRange covering the signed bytes and
    a /Contents with the signature)."""
    return data.startswith(b"%PDF-") and b"/ByteRange" in data and b"/Contents" in data and b"%%EOF" in data[-2048:]
