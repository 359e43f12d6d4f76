"""A small PDF writer for generated results and certification sheets (one or more A4 pages of text), and a
page counter for uploaded scans. The text is written with the standard Helvetica font, so Vietnamese is
folded to ASCII here; the signature stamp added by the signature service carries the Vietnamese wording."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

LINES_PER_PAGE = 48
_PAGE_RE = re.compile(rb"/Type\s*/Page(?![s\w])")


def fold(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def simple_pdf(title: str, lines: Sequence[str]) -> bytes:
    pages = [list(lines[i : i + LINES_PER_PAGE]) for i in range(0, max(len(lines), 1), LINES_PER_PAGE)] or [[]]
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled below
    pages_id = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    page_ids = []
    for index, page_lines in enumerate(pages):
        text = [f"BT /F1 15 Tf 56 790 Td ({fold(title)}) Tj ET"] if index == 0 else []
        y = 760 if index == 0 else 790
        for line in page_lines:
            text.append(f"BT /F1 11 Tf 56 {y} Td ({fold(line)}) Tj ET")
            y -= 15
        stream = "\n".join(text).encode()
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
                b"/Contents %d 0 R >>" % (pages_id, font, content)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    kids = b" ".join(b"%d 0 R" % p for p in page_ids)
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    return bytes(out)


def is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-")


def count_pages(pdf: bytes) -> int:
    """Pages of a PDF: the page objects it declares (at least 1). Good enough for the fee of a scan; the
    officer confirms the count when certifying."""
    return max(1, len(_PAGE_RE.findall(pdf)))
