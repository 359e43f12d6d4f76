"""What a verdict means, in Vietnamese for citizens and in English for operators."""

from __future__ import annotations

from kho_contracts.common import Indication

# (sub-indication or reason code) -> (Vietnamese, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "OK": ("Chữ ký số hợp lệ.", "The signature is valid."),
    "FORMAT_FAILURE": (
        "Tệp tin không đúng định dạng PDF ký số hoặc đã bị sửa đổi.",
        "The file is not a well-formed signed PDF or was altered.",
    ),
    "HASH_FAILURE": ("Nội dung tệp tin đã bị thay đổi sau khi ký.", "The signed content was changed after signing."),
    "SIG_CRYPTO_FAILURE": (
        "Chữ ký số không đúng (không khớp với chứng thư số).",
        "The signature value does not verify with the signer's certificate.",
    ),
    "REVOKED": (
        "Chứng thư số của người ký đã bị thu hồi trước thời điểm ký.",
        "The signer's certificate was revoked before the signing time.",
    ),
    "EXPIRED": (
        "Chứng thư số của người ký đã hết hạn tại thời điểm ký.",
        "The signer's certificate had expired at the signing time.",
    ),
    "NOT_YET_VALID": (
        "Chứng thư số của người ký chưa có hiệu lực tại thời điểm ký.",
        "The signer's certificate was not yet valid at the signing time.",
    ),
    "NO_CERTIFICATE_CHAIN_FOUND": (
        "Chứng thư số của người ký không thuộc tổ chức cung cấp dịch vụ chứng thực được chấp nhận.",
        "No chain from the signer's certificate to a trust anchor of this policy.",
    ),
    "NO_SIGNING_CERTIFICATE_FOUND": (
        "Không tìm thấy chứng thư số của người ký trong chữ ký.",
        "The signer's certificate is not in the signature.",
    ),
    "CHAIN_CONSTRAINTS_FAILURE": (
        "Chứng thư số của người ký không được phép dùng để ký số.",
        "The certificate chain does not meet the constraints (e.g. key usage).",
    ),
    "SIG_CONSTRAINTS_FAILURE": (
        "Chữ ký không đáp ứng yêu cầu (mục đích sử dụng khóa, thuộc tính ký).",
        "The signature does not meet the constraints (key usage, signed attributes).",
    ),
    "CRYPTO_CONSTRAINTS_FAILURE": (
        "Chữ ký dùng thuật toán không còn được chấp nhận.",
        "The signature uses an algorithm that is no longer accepted.",
    ),
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": (
        "Chữ ký dùng thuật toán không còn được chấp nhận.",
        "A weak algorithm without proof of existence before it became weak.",
    ),
    "REVOKED_NO_POE": (
        "Chứng thư số đã bị thu hồi và không có bằng chứng chữ ký được tạo trước đó.",
        "The certificate is revoked and there is no proof the signature existed before.",
    ),
    "REVOKED_CA_NO_POE": (
        "Chứng thư số của tổ chức cấp đã bị thu hồi.",
        "An issuer certificate is revoked and there is no proof of existence before.",
    ),
    "OUT_OF_BOUNDS_NO_POE": (
        "Chứng thư số hết hạn hoặc chưa có hiệu lực và không có dấu thời gian chứng minh thời điểm ký.",
        "The certificate is outside its validity and no timestamp proves the signing time.",
    ),
    "OUT_OF_BOUNDS_NOT_REVOKED": (
        "Chứng thư số hết hạn, không có dấu thời gian chứng minh thời điểm ký.",
        "The certificate expired; no proof of existence within its validity.",
    ),
    "REVOCATION_OUT_OF_BOUNDS_NO_POE": (
        "Thông tin thu hồi không hợp lệ tại thời điểm ký.",
        "Revocation data outside its validity and no proof of existence.",
    ),
    "NO_POE": ("Không có bằng chứng về thời điểm tồn tại của chữ ký.", "No proof of existence of the signature."),
    "TRY_LATER": (
        "Chưa kiểm tra được tình trạng thu hồi của chứng thư số; hệ thống sẽ kiểm tra lại.",
        "Revocation status unknown (no embedded or cached data); the refresher will fetch it, try later.",
    ),
    "TIMESTAMP_ORDER_FAILURE": ("Thứ tự dấu thời gian không hợp lệ.", "The timestamps are not in a consistent order."),
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": (
        "Không kiểm tra được chuỗi chứng thư số.",
        "The certificate chain could not be validated.",
    ),
    "SIGNED_DATA_NOT_FOUND": ("Không tìm thấy dữ liệu được ký.", "The signed data was not found."),
    "GENERIC": ("Không xác định được tính hợp lệ của chữ ký.", "The signature could not be validated."),
    # reasons for FORMAT_FAILURE / INDETERMINATE given by the service
    "not_pdf": ("Tệp tin không phải là tệp PDF hợp lệ hoặc bị hỏng.", "The file cannot be parsed as a PDF."),
    "encrypted": ("Tệp tin PDF được mã hóa, không kiểm tra được chữ ký.", "The PDF is encrypted."),
    "no_signature": ("Tệp tin không có chữ ký số.", "The file carries no signature."),
    "too_large": ("Tệp tin vượt quá dung lượng cho phép.", "The file exceeds the size limit."),
    "bomb": (
        "Tệp tin chứa dữ liệu nén bất thường (có thể gây hại).",
        "The file's compressed streams inflate beyond the limit (decompression bomb).",
    ),
    "too_many_pages": ("Tệp tin có quá nhiều trang.", "The file exceeds the page limit."),
    "timeout": (
        "Hết thời gian kiểm tra chữ ký; tệp tin có thể bị lỗi.",
        "Validation exceeded its CPU time limit (malformed or hostile file).",
    ),
    "resources": ("Tệp tin quá phức tạp để kiểm tra.", "Validation exceeded its memory limit."),
    "coverage": ("Chữ ký không bao phủ toàn bộ tệp tin.", "The signature does not cover the whole document."),
    "modified": ("Nội dung tệp tin đã bị thay đổi sau khi ký.", "The document was modified after signing."),
    "docmdp": (
        "Tệp tin đã bị thay đổi trái với quyền hạn của chữ ký chứng thực.",
        "Changes after a certifying signature exceed what it permits.",
    ),
    "bad_signature_object": ("Chữ ký số bị hỏng hoặc để trống.", "The signature object is empty or malformed."),
    "internal": (
        "Không kiểm tra được chữ ký do lỗi hệ thống; vui lòng thử lại sau.",
        "Validation failed on an internal error.",
    ),
}


def message(code: str | None) -> tuple[str, str]:
    return MESSAGES.get(code or "GENERIC", MESSAGES["GENERIC"])


def verdict_message(indication: Indication, code: str | None, count: int) -> tuple[str, str]:
    if indication == Indication.TOTAL_PASSED:
        if count > 1:
            return (f"Tất cả {count} chữ ký số trên tệp tin đều hợp lệ.", f"All {count} signatures are valid.")
        return MESSAGES["OK"]
    vi, en = message(code)
    prefix_vi = (
        "Chữ ký số không hợp lệ: " if indication == Indication.TOTAL_FAILED else "Chưa xác định được chữ ký số: "
    )
    prefix_en = "Signature invalid: " if indication == Indication.TOTAL_FAILED else "Signature indeterminate: "
    return prefix_vi + vi[0].lower() + vi[1:], prefix_en + en[0].lower() + en[1:]
