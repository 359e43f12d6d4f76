"""Vietnamese messages per kind of notice and per channel.

The in-app inbox and e-mail carry the full text with its diacritics. Zalo (ZNS) sends a template registered
with Zalo beforehand: only its parameters travel, each cut to the length its parameter type allows. An SMS
must fit the configured number of segments: the longest free-text fields are shortened first, and without
Unicode the text is folded to GSM-7 (Vietnamese without diacritics).
"""

from __future__ import annotations

from dataclasses import dataclass

from kho_notify.domain.recipients import AGENCY_PREFIX
from kho_notify.domain.text import is_gsm7, shorten, sms_capacity, sms_units, to_gsm7


@dataclass(frozen=True)
class Template:
    kind: str
    title: str
    body: str
    sms: str
    zalo: tuple[tuple[str, int], ...]
    """The ZNS template's parameters: (field, most characters the parameter takes)."""
    shortenable: tuple[str, ...] = ()
    """Free-text fields an SMS may shorten, longest first."""


TEMPLATES: dict[str, Template] = {
    t.kind: t
    for t in (
        Template(
            "dossier_submitted",
            "Nộp hồ sơ thành công",
            "Hồ sơ {dossier_code} ({procedure_name}) đã được nộp trực tuyến thành công lúc {submitted_at}. "
            "Cơ quan tiếp nhận: {agency_code}. Hình thức nhận kết quả: {result_delivery}.",
            "Hồ sơ {dossier_code} ({procedure_name}) đã nộp thành công lúc {submitted_at}.",
            (("dossier_code", 30), ("procedure_name", 100), ("submitted_at", 20)),
            ("procedure_name",),
        ),
        Template(
            "dossier_accepted",
            "Hồ sơ đã được tiếp nhận",
            "Hồ sơ {dossier_code} đã được tiếp nhận để giải quyết ngày {accepted_at}. "
            "Ngày hẹn trả kết quả: {due_date}.",
            "Hồ sơ {dossier_code} đã được tiếp nhận ngày {accepted_at}, hẹn trả kết quả: {due_date}.",
            (("dossier_code", 30), ("accepted_at", 20), ("due_date", 20)),
        ),
        Template(
            "supplement_requested",
            "Yêu cầu bổ sung hồ sơ",
            "Hồ sơ {dossier_code} cần được bổ sung. Lý do: {reason}. Giấy tờ cần bổ sung: {items}.",
            "Hồ sơ {dossier_code} cần bổ sung: {reason}. Giấy tờ: {items}.",
            (("dossier_code", 30), ("reason", 100), ("items", 100)),
            ("items", "reason"),
        ),
        Template(
            "dossier_rejected",
            "Hồ sơ không được giải quyết",
            "Hồ sơ {dossier_code} đã bị từ chối ngày {rejected_at}. Lý do: {reason}.",
            "Hồ sơ {dossier_code} bị từ chối. Lý do: {reason}.",
            (("dossier_code", 30), ("rejected_at", 20), ("reason", 100)),
            ("reason",),
        ),
        Template(
            "result_returned",
            "Đã trả kết quả hồ sơ",
            "Kết quả giải quyết hồ sơ {dossier_code} đã được trả ngày {returned_at} "
            "và có trong kho dữ liệu của bạn ({result_count} giấy tờ).",
            "Kết quả hồ sơ {dossier_code} đã được trả vào kho dữ liệu của bạn ngày {returned_at}.",
            (("dossier_code", 30), ("returned_at", 20)),
        ),
        Template(
            "result_issued",
            "Kết quả giải quyết mới trong kho dữ liệu",
            "{agency_name} đã cấp {name} số {document_number} ngày {issue_date} vào kho dữ liệu của bạn.",
            "{agency_name} đã cấp {name} số {document_number} vào kho dữ liệu của bạn.",
            (("agency_name", 100), ("name", 100), ("document_number", 30), ("issue_date", 20)),
            ("name", "agency_name"),
        ),
        Template(
            "result_corrected",
            "Kết quả giải quyết đã được cấp lại",
            "{agency_name} đã cấp lại {name} số {document_number} ngày {issue_date} thay cho giấy tờ "
            "bạn đã phản ánh; bản đúng đã có trong kho dữ liệu của bạn.",
            "{agency_name} đã cấp lại {name} số {document_number} thay cho giấy tờ bạn đã phản ánh.",
            (("agency_name", 100), ("name", 100), ("document_number", 30), ("issue_date", 20)),
            ("name", "agency_name"),
        ),
        Template(
            "certified_copy_issued",
            "Bản sao chứng thực điện tử đã được cấp",
            "{agency_name} đã chứng thực bản sao điện tử {name}, số chứng thực {certification}, "
            "lệ phí {fee} đồng. Bản sao đã được lưu vào kho dữ liệu của bạn.",
            "Bản sao chứng thực {name} số {certification} đã lưu vào kho dữ liệu, lệ phí {fee}đ.",
            (("agency_name", 100), ("name", 100), ("certification", 30), ("fee", 20)),
            ("name",),
        ),
        Template(
            "document_stored",
            "Giấy tờ đã được lưu vào kho dữ liệu",
            "Giấy tờ {name} (mã {document_code}) đã được kiểm tra chữ ký số và lưu vào kho dữ liệu của bạn.",
            "Giấy tờ {name} đã được lưu vào kho dữ liệu của bạn.",
            (("name", 100), ("document_code", 50)),
            ("name",),
        ),
        Template(
            "document_rejected",
            "Giấy tờ không được lưu vào kho dữ liệu",
            "Giấy tờ {name} không được lưu vào kho dữ liệu của bạn. Lý do: {reason}.",
            "Giấy tờ {name} không được lưu vào kho. Lý do: {reason}.",
            (("name", 100), ("reason", 100)),
            ("reason", "name"),
        ),
        Template(
            "result_disputed",
            "Phản ánh mới về kết quả giải quyết",
            "Công dân phản ánh kết quả điện tử {document_id}: {reason}. Hạn xử lý: {deadline}.",
            "Phản ánh mới về kết quả {document_id}: {reason}. Hạn xử lý {deadline}.",
            (("document_id", 50), ("reason", 100), ("deadline", 20)),
            ("reason",),
        ),
        Template(
            "dispute_resolved",
            "Phản ánh của bạn đã được giải quyết",
            "Phản ánh của bạn về giấy tờ {document_id} đã được giải quyết: {outcome}. {explanation}",
            "Phản ánh về giấy tờ {document_id}: {outcome}. {explanation}",
            (("document_id", 50), ("outcome", 50), ("explanation", 100)),
            ("explanation",),
        ),
        Template(
            "dispute_overdue",
            "Phản ánh quá hạn xử lý",
            "Phản ánh về kết quả {document_id} đã quá hạn xử lý ({deadline}) và được chuyển đến {escalated_to}.",
            "Phản ánh về kết quả {document_id} quá hạn ({deadline}), đã chuyển đến {escalated_to}.",
            (("document_id", 50), ("deadline", 20), ("escalated_to", 50)),
        ),
    )
}


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


def render_text(kind: str, fields: dict[str, str]) -> Rendered:
    template = TEMPLATES[kind]
    return Rendered(template.title, template.body.format(**fields))


def render_email(kind: str, fields: dict[str, str], recipient_id: str) -> tuple[str, str]:
    """(subject, plain text body), with diacritics."""
    text = render_text(kind, fields)
    greeting = "Kính gửi Quý cơ quan," if recipient_id.startswith(AGENCY_PREFIX) else "Kính gửi Quý ông/bà,"
    body = (
        f"{greeting}\n\n{text.body}\n\n"
        "Thông tin chi tiết có trên Cổng dịch vụ công, mục Kho dữ liệu.\n"
        "Đây là thư tự động, xin vui lòng không trả lời thư này.\n"
    )
    return f"[Kho dữ liệu] {text.title}", body


def render_zalo(kind: str, fields: dict[str, str]) -> dict[str, str]:
    """The ZNS template_data: every parameter of the template, within its length, diacritics kept."""
    return {name: shorten(fields[name], limit) for name, limit in TEMPLATES[kind].zalo}


def render_sms(kind: str, fields: dict[str, str], *, unicode: bool, max_segments: int, prefix: str = "") -> str:
    """The SMS text within `max_segments` segments: GSM-7 without diacritics unless Unicode is allowed;
    the free-text fields are shortened before the text itself is cut."""
    template = TEMPLATES[kind]
    values = dict(fields)

    def build() -> str:
        text = prefix + template.sms.format(**values)
        return text if unicode else to_gsm7(text)

    text = build()
    capacity = sms_capacity("gsm7" if is_gsm7(text) else "ucs2", max_segments)
    for _ in range(20):
        excess = sms_units(text)[1] - capacity
        if excess <= 0:
            return text
        candidates = [f for f in template.shortenable if len(values[f]) > 12]
        if not candidates:
            break
        longest = max(candidates, key=lambda f: len(values[f]))
        values[longest] = shorten(values[longest], max(12, len(values[longest]) - excess - 1), "...")
        text = build()
    while sms_units(text)[1] > capacity:
        text = shorten(text, len(text) - max(1, sms_units(text)[1] - capacity), "...")
    return text
