"""Small PDF files written byte by byte, for tests: plain documents of N pages (optionally padded to a size
with an incompressible image), a decompression bomb and a huge page tree."""

from __future__ import annotations

import io
import os
import zlib


def _pdf(objects: list[bytes], root: int = 1) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _stream(data: bytes, extra: str = "", compress: bool = True) -> bytes:
    if compress:
        data = zlib.compress(data)
        extra += " /Filter /FlateDecode"
    return f"<< /Length {len(data)}{extra} >>\nstream\n".encode() + data + b"\nendstream"


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode().replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(
    pages: int = 1, *, title: str = "GIAY CHUNG NHAN (TEST)", size: int = 0, lines: tuple[str, ...] = ()
) -> bytes:
    """A document of ``pages`` A4 pages of text (Helvetica, ASCII); with ``size`` > 0 an incompressible image
    on the first page brings the file to about that many bytes."""
    objs: list[bytes] = []
    # 1 catalog, 2 pages, 3 font, then per page (page, content), then the image
    kids = [4 + 2 * i for i in range(pages)]
    image_num = 4 + 2 * pages
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Count {pages} /Kids [{' '.join(f'{k} 0 R' for k in kids)}] >>".encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i in range(pages):
        text = [
            f"BT /F1 16 Tf 72 770 Td ({_ascii(title)}) Tj ET",
            f"BT /F1 11 Tf 72 740 Td (Trang {i + 1}/{pages}) Tj ET",
        ]
        for j, line in enumerate(lines):
            text.append(f"BT /F1 11 Tf 72 {716 - 16 * j} Td ({_ascii(line)}) Tj ET")
        resources = "/Font << /F1 3 0 R >>"
        if size and i == 0:
            text.append("q 200 0 0 200 300 300 cm /Im1 Do Q")
            resources += f" /XObject << /Im1 {image_num} 0 R >>"
        objs.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << {resources} >> "
            f"/Contents {kids[i] + 1} 0 R >>".encode()
        )
        objs.append(_stream("\n".join(text).encode()))
    if size:
        side = max(int((size - 2000) ** 0.5), 8)
        objs.append(
            _stream(
                os.urandom(side * side),
                f" /Type /XObject /Subtype /Image /Width {side} /Height {side}"
                " /ColorSpace /DeviceGray /BitsPerComponent 8",
                compress=False,
            )
        )
    return _pdf(objs)


def make_bomb_pdf(decompressed_mb: int = 400) -> bytes:
    """One page whose content stream inflates to ``decompressed_mb`` MB of spaces (about 1000:1)."""
    comp = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    data = b"".join(comp.compress(chunk) for _ in range(decompressed_mb)) + comp.flush()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Contents 4 0 R >>",
        f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream",
    ]
    return _pdf(objs)


def make_huge_page_tree_pdf(pages: int = 100_000) -> bytes:
    """A page tree of ``pages`` leaves sharing one content stream (about 60 bytes per page)."""
    per_node = 1000
    nodes = (pages + per_node - 1) // per_node
    objs: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    first_node = 4
    first_page = first_node + nodes
    node_nums = [first_node + i for i in range(nodes)]
    objs.append(f"<< /Type /Pages /Count {pages} /Kids [{' '.join(f'{n} 0 R' for n in node_nums)}] >>".encode())
    objs.append(_stream(b"BT /F1 12 Tf 72 770 Td (PAGE) Tj ET"))
    for n in range(nodes):
        count = min(per_node, pages - n * per_node)
        kids = " ".join(f"{first_page + n * per_node + k} 0 R" for k in range(count))
        objs.append(f"<< /Type /Pages /Parent 2 0 R /Count {count} /Kids [{kids}] >>".encode())
    for n in range(nodes):
        count = min(per_node, pages - n * per_node)
        for _ in range(count):
            objs.append(
                f"<< /Type /Page /Parent {first_node + n} 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>".encode()
            )
    return _pdf(objs)
