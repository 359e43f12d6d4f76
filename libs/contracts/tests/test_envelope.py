from datetime import UTC, date, datetime

import pytest
from kho_contracts import EnvelopeError, decode, encode, event_types, new_envelope
from kho_contracts.common import DisputeReason, identity_kind
from kho_contracts.events import ResultDisputed


def disputed() -> ResultDisputed:
    return ResultDisputed(
        dispute_id="d-1",
        document_id="doc-1",
        owner_id="052090000495",
        agency_code="000.00.12.H08",
        reason=DisputeReason.WRONG_CITIZEN_INFO,
        opened_at=datetime(2026, 11, 2, 8, 0, tzinfo=UTC),
        deadline=date(2026, 11, 9),
    )


def test_binary_mode_round_trip_keeps_attributes_key_and_data() -> None:
    event = disputed()
    envelope = new_envelope(event, source="/kho/feedback", correlation_id="corr-1", causation_id="cause-1")
    record = encode(event, envelope, topic_prefix="x.")
    headers = dict(record.headers)
    assert record.topic == "x.kho.feedback.disputes"
    assert record.key == b"d-1"
    assert headers["ce_type"] == b"vn.gov.kho.feedback.result.disputed.v1"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_correlationid"] == b"corr-1"
    assert headers["ce_causationid"] == b"cause-1"
    assert headers["ce_subject"] == b"d-1"
    assert headers["content-type"] == b"application/json"

    got_envelope, got_event = decode(record.headers, record.value)
    assert got_envelope == envelope
    assert got_event == event


def test_consumers_ignore_unknown_fields() -> None:
    event = disputed()
    record = encode(event, new_envelope(event, source="/t"))
    value = record.value.replace(b"{", b'{"added_later":1,', 1)
    assert decode(record.headers, value)[1] == event


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h, v: (h, b"{not json"), "not valid JSON"),
        (lambda h, v: ([x for x in h if x[0] != "ce_type"], v), "missing ce_type"),
        (lambda h, v: ([(k, b"vn.gov.kho.x.y.v9" if k == "ce_type" else b) for k, b in h], v), "unknown event type"),
        (lambda h, v: (h, b'{"dispute_id": "d"}'), "does not match"),
        (lambda h, v: ([(k, b"0.3" if k == "ce_specversion" else b) for k, b in h], v), "specversion"),
    ],
)
def test_unreadable_messages_say_why(mutate, reason) -> None:  # type: ignore[no-untyped-def]
    event = disputed()
    record = encode(event, new_envelope(event, source="/t"))
    headers, value = mutate(list(record.headers), record.value)
    with pytest.raises(EnvelopeError) as caught:
        decode(headers, value)
    assert reason in caught.value.reason


def test_every_required_event_is_registered_with_versioned_type() -> None:
    names = {cls.__name__ for cls in event_types().values()}
    required = {
        "DocumentUploaded", "DocumentStored", "DocumentRejected", "DocumentReplaced", "DocumentUsed",
        "SignatureVerified", "SignatureRejected", "DossierSubmitted", "DossierAccepted", "SupplementRequested",
        "DossierRejected", "ResultIssued", "CertifiedCopyIssued", "ResultDisputed", "DisputeResolved",
        "DisputeOverdue", "NotificationDelivered", "NotificationFailed",
    }  # fmt: skip
    assert required <= names
    for type_, cls in event_types().items():
        assert type_.startswith("vn.gov.kho.") and type_.rsplit(".", 1)[1].startswith("v")
        assert cls.KEY_FIELD in cls.model_fields


@pytest.mark.parametrize(
    ("number", "kind"),
    [("052090000495", "citizen"), ("123456789", "citizen"), ("0312345678", "organization"),
     ("0312345678-001", "organization"), ("05209000049", None), ("0312345678-01", None), ("abc", None)],
)  # fmt: skip
def test_identity_numbers(number: str, kind: str | None) -> None:
    found = identity_kind(number)
    assert (found.value if found else None) == kind
