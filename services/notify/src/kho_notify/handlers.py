"""What the notify service does with each event it consumes."""

from __future__ import annotations

from kho_contracts.events import ResultDisputed
from kho_platform.consumer import Delivery, Subscription

from kho_notify.inbox import Inbox, agency_recipient

notifications = Subscription("notifications")

REASONS_VI = {
    "wrong_citizen_info": "tệp tin có thông tin công dân không chính xác",
    "not_owners_result": "tệp tin không phải kết quả của công dân",
    "not_government_signed": "tệp tin không được ký số bởi Ban Cơ yếu Chính phủ",
}


@notifications.on(ResultDisputed)
async def result_disputed(inbox: Inbox, delivery: Delivery) -> None:
    event = delivery.event
    assert isinstance(event, ResultDisputed)
    await inbox.deliver(
        event_id=delivery.envelope.id,
        recipient=agency_recipient(event.agency_code),
        title="Phản ánh mới về kết quả giải quyết",
        body=(
            f"Công dân phản ánh kết quả điện tử {event.document_id}: {REASONS_VI[event.reason.value]}. "
            f"Hạn xử lý: {event.deadline:%d/%m/%Y}."
        ),
        data={"dispute_id": event.dispute_id, "document_id": event.document_id},
    )
