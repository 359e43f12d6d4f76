"""Pending events packed into one opaque value come back byte for byte, in order, also from the older form."""

from __future__ import annotations

import bson
from kho_contracts import encode, new_envelope
from kho_contracts.events import NotificationDelivered
from kho_platform.outbox import outbox_entry, packed_records, unpacked_records


def records() -> list:  # type: ignore[type-arg]
    made = []
    for n in range(3):
        event = NotificationDelivered(
            notification_id=f"n-{n}",
            source_event_id="e-1",
            source_event_type="vn.gov.kho.x.v1",
            recipient_id="052090000123",
            channel="zalo",
            attempts=1,
            provider_message_id=None,
            delivered_at="2026-11-28T12:00:00+07:00",
        )
        made.append(encode(event, new_envelope(event, source="/kho/notify"), topic_prefix="t."))
    return made


def test_records_come_back_byte_for_byte_in_order() -> None:
    written = records()
    written[1].headers.append(("x-raw", b"\xff\x00 not text"))
    assert unpacked_records(packed_records(written)) == written


def test_records_packed_as_outbox_entries_are_still_read() -> None:
    written = records()
    older = bson.encode({"records": [outbox_entry(r) for r in written]})
    assert unpacked_records(older) == written
