"""Plain rules: working-day deadlines, who may dispute what, the report, the signed-PDF shape check."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from kho_contracts.common import StoreKind
from kho_feedback.domain.calendar import WorkingCalendar
from kho_feedback.domain.disputes import KnownDocument, Refusal, refusal_to_dispute
from kho_feedback.domain.files import looks_like_signed_pdf
from kho_feedback.domain.report import dispute_report
from kho_feedback.settings import FeedbackSettings
from kho_feedback.testing import signed_looking_pdf

VN = WorkingCalendar.of()


def at_local(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=VN.tz)


def test_deadline_skips_weekends() -> None:
    thursday = date(2026, 3, 5)
    assert VN.deadline(at_local(thursday), 5) == date(2026, 3, 12)  # Fri, Mon, Tue, Wed, Thu
    assert VN.deadline(at_local(date(2026, 3, 7)), 1) == date(2026, 3, 9)  # opened on a Saturday -> Monday


def test_deadline_skips_configured_holidays_and_counts_compensatory_days() -> None:
    calendar = WorkingCalendar.of(holidays=[date(2026, 4, 30), date(2026, 5, 1)], extra_working_days=[date(2026, 5, 2)])
    # opened Wed 29 April: Thu 30 and Fri 1 are holidays, Sat 2 May is worked, then Mon 4 May
    assert calendar.deadline(at_local(date(2026, 4, 29)), 2) == date(2026, 5, 4)
    assert VN.deadline(at_local(date(2026, 4, 29)), 2) == date(2026, 5, 1)  # without the holidays


def test_opening_day_is_the_local_day() -> None:
    # 18:30 UTC on Friday is already Saturday 01:30 in Vietnam
    friday_evening_utc = datetime(2026, 3, 6, 18, 30, tzinfo=UTC)
    assert VN.local_date(friday_evening_utc) == date(2026, 3, 7)
    assert VN.deadline(friday_evening_utc, 1) == date(2026, 3, 9)


def test_overdue_at_the_local_midnight_after_the_deadline() -> None:
    moment = VN.overdue_at(date(2026, 3, 12))
    assert moment == datetime(2026, 3, 12, 17, 0, tzinfo=UTC)


def test_settings_read_holidays_from_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KHO_HOLIDAYS", '["2026-09-02"]')
    monkeypatch.setenv("KHO_DISPUTE_RESPONSE_WORKING_DAYS", "3")
    settings = FeedbackSettings()
    assert settings.dispute_response_working_days == 3
    assert not settings.calendar().is_working_day(date(2026, 9, 2))


def document(**overrides: object) -> KnownDocument:
    values: dict[str, object] = {
        "document_id": "d1",
        "owner_id": "001099000001",
        "store_kind": StoreKind.AGENCY_ISSUED,
        "version": 1,
        "visible": True,
        "issuing_agency_code": "H08.02",
    }
    values.update(overrides)
    return KnownDocument(**values)  # type: ignore[arg-type]


def test_who_may_dispute_what() -> None:
    owner = frozenset({"001099000001"})
    assert refusal_to_dispute(document(), owner) is None
    assert refusal_to_dispute(None, owner) == Refusal.NOT_FOUND
    assert refusal_to_dispute(document(), frozenset({"001099000002"})) == Refusal.NOT_FOUND
    assert refusal_to_dispute(document(visible=False), owner) == Refusal.NOT_FOUND
    assert refusal_to_dispute(document(store_kind=StoreKind.OWNER), owner) == Refusal.OWN_UPLOAD
    assert refusal_to_dispute(document(issuing_agency_code=None), owner) == Refusal.NO_ISSUING_AGENCY
    # an authorized representative acts for the organization
    org_doc = document(owner_id="0301234567")
    assert refusal_to_dispute(org_doc, frozenset({"001099000001", "0301234567"})) is None


def test_signed_pdf_shape() -> None:
    assert looks_like_signed_pdf(signed_looking_pdf())
    assert not looks_like_signed_pdf(b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n")
    assert not looks_like_signed_pdf(b"PK\x03\x04 /ByteRange /Contents %%EOF")


def test_report_counts_and_times() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    end = datetime(2026, 4, 1, tzinfo=UTC)
    opened = datetime(2026, 3, 2, tzinfo=UTC)
    rows = [
        {
            "agency_code": "A",
            "status": "resolved",
            "opened_at": opened,
            "overdue_at": opened + timedelta(days=7),
            "resolution": {"outcome": "corrected", "resolved_at": opened + timedelta(hours=10)},
        },
        {
            "agency_code": "A",
            "status": "resolved",
            "opened_at": opened,
            "overdue_at": opened + timedelta(days=7),
            "resolution": {"outcome": "rejected", "resolved_at": opened + timedelta(days=9)},
        },
        {"agency_code": "A", "status": "open", "escalated": True, "opened_at": opened, "overdue_at": opened},
        # opened before the period, resolved inside it: counts as resolved, not as opened
        {
            "agency_code": "B",
            "status": "resolved",
            "opened_at": start - timedelta(days=2),
            "overdue_at": start + timedelta(days=5),
            "resolution": {"outcome": "rejected", "resolved_at": start + timedelta(hours=1)},
        },
    ]
    a, b = dispute_report(rows, start, end)
    assert (a.agency_code, a.opened, a.resolved, a.corrected, a.rejected) == ("A", 3, 2, 1, 1)
    assert (a.still_open, a.escalated, a.resolved_within_deadline) == (1, 1, 1)
    assert a.mean_resolution_hours == (10 + 216) / 2
    assert a.median_resolution_hours == 113.0 and a.max_resolution_hours == 216.0
    assert (b.agency_code, b.opened, b.resolved) == ("B", 0, 1)
    assert b.mean_resolution_hours == 49.0
