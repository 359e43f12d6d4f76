"""What the vault checks in a file before storing it: a PDF judged by its content (not its name), not empty,
not encrypted, not over the size and page limits. Signatures are the signature service's business."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from pyhanko.pdf_utils.reader import PdfFileReader


class FileProblem(Exception):
    def __init__(self, status: int, code: str, detail: str, detail_vi: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.detail_vi = detail_vi


@dataclass(frozen=True)
class InspectedPdf:
    size: int
    sha256: str
    pages: int


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inspect_pdf(data: bytes, *, max_bytes: int, max_pages: int) -> InspectedPdf:
    if not data:
        raise FileProblem(400, "empty_file", "the file is empty", "Tệp tin rỗng, vui lòng chọn tệp tin khác")
    if len(data) > max_bytes:
        raise FileProblem(
            413,
            "file_too_large",
            f"the file is larger than {max_bytes} bytes",
            f"Tệp tin vượt quá dung lượng cho phép ({max_bytes // (1024 * 1024)} MB)",
        )
    if b"%PDF-" not in data[:1024]:
        raise FileProblem(415, "not_a_pdf", "the file is not a PDF document", "Tệp tin không phải là tài liệu PDF")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        encrypted = bool(reader.encrypted)
        pages = 0 if encrypted else int(reader.root["/Pages"]["/Count"])
    except Exception as exc:
        raise FileProblem(
            415,
            "not_a_pdf",
            f"the file is not a readable PDF document ({type(exc).__name__})",
            "Tệp tin PDF bị hỏng hoặc không đọc được",
        ) from exc
    if encrypted:
        raise FileProblem(
            422,
            "encrypted_pdf",
            "the PDF is encrypted or password-protected",
            "Tệp tin PDF đã được mã hóa hoặc đặt mật khẩu, vui lòng tải lên bản không mã hóa",
        )
    if pages < 1:
        raise FileProblem(422, "no_pages", "the PDF has no pages", "Tệp tin PDF không có trang nào")
    if pages > max_pages:
        raise FileProblem(
            422, "too_many_pages", f"the PDF has more than {max_pages} pages", "Tệp tin PDF có quá nhiều trang"
        )
    return InspectedPdf(size=len(data), sha256=sha256_of(data), pages=pages)
