"""Rendering per channel: SMS length limits and diacritics, Zalo parameter limits, e-mail and in-app text."""

from __future__ import annotations

import pytest
from kho_notify.domain.notices import notices_for
from kho_notify.domain.recipients import Channel, RecipientProfile, normalize_email, normalize_phone
from kho_notify.domain.templates import TEMPLATES, render_email, render_sms, render_text, render_zalo
from kho_notify.domain.text import is_gsm7, sms_segments, strip_diacritics, to_gsm7
from kho_notify.testing import events as ev

OWNER = "052090000123"


def test_vietnamese_is_folded_to_plain_letters() -> None:
    assert strip_diacritics("Hồ sơ đã được tiếp nhận – Đăng ký") == "Ho so da duoc tiep nhan - Dang ky"
    assert to_gsm7("Phước Lộc “x” ✓") == 'Phuoc Loc "x" ?'
    assert is_gsm7(to_gsm7("Quyết định số 12/QĐ-UBND"))


def test_segments_follow_gsm7_and_ucs2_limits() -> None:
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2 and sms_segments("a" * 306) == 2
    assert sms_segments("ồ" * 70) == 1 and sms_segments("ồ" * 71) == 2 and sms_segments("ồ" * 134) == 2
    assert sms_segments("{" * 80) == 1 and sms_segments("{" * 81) == 2  # extension characters count twice


@pytest.mark.parametrize("unicode", [False, True])
@pytest.mark.parametrize("segments", [1, 2])
def test_a_long_sms_is_shortened_to_fit(unicode: bool, segments: int) -> None:
    event = ev.supplement_requested(OWNER)
    (notice,) = notices_for(event.model_copy(update={"reason": "Thiếu giấy tờ " * 40, "items": ["Bản sao " * 30]}))
    text = render_sms(notice.kind, notice.fields, unicode=unicode, max_segments=segments)
    assert sms_segments(text) <= segments
    assert notice.fields["dossier_code"] in text  # the fixed part survives, the free text is shortened
    assert is_gsm7(text) != unicode
    if unicode:
        assert "bổ sung" in text


def test_zalo_parameters_keep_diacritics_within_their_limits() -> None:
    (notice,) = notices_for(ev.dossier_submitted(OWNER, procedure_name="Thủ tục " * 40))
    data = render_zalo(notice.kind, notice.fields)
    assert set(data) == {name for name, _ in TEMPLATES["dossier_submitted"].zalo}
    assert len(data["procedure_name"]) <= 100 and data["procedure_name"].startswith("Thủ tục")


def test_every_kind_renders_on_every_channel() -> None:
    samples = [
        ev.dossier_submitted(OWNER, "052090000124"),
        ev.dossier_accepted(OWNER),
        ev.supplement_requested(OWNER),
        ev.dossier_rejected(OWNER),
        ev.result_returned(OWNER),
        ev.result_issued(OWNER, hidden=False),
        ev.result_issued(OWNER, hidden=False, supersedes="doc-1"),
        ev.certified_copy_issued(OWNER),
        ev.document_stored(OWNER),
        ev.document_rejected(OWNER),
        ev.result_disputed(OWNER, "H08.15"),
        ev.dispute_resolved(OWNER, "H08.15"),
        ev.dispute_overdue(OWNER, "H08.15"),
    ]
    kinds = set()
    for event in samples:
        for notice in notices_for(event):
            kinds.add(notice.kind)
            assert render_text(notice.kind, notice.fields).body
            subject, body = render_email(notice.kind, notice.fields, notice.recipient)
            assert subject.startswith("[Kho dữ liệu]") and "{" not in body
            assert sms_segments(render_sms(notice.kind, notice.fields, unicode=False, max_segments=2)) <= 2
            render_zalo(notice.kind, notice.fields)
    assert kinds == set(TEMPLATES)


def test_who_is_told() -> None:
    assert [n.recipient for n in notices_for(ev.dossier_submitted(OWNER, "052090000124"))] == [
        "052090000124",
        OWNER,
    ]
    assert notices_for(ev.result_issued(OWNER, hidden=True)) == []  # told when the result is returned
    assert [n.recipient for n in notices_for(ev.result_disputed(OWNER, "H08.15"))] == ["agency:H08.15"]


def test_contacts_are_normalized_and_the_plan_follows_preferences() -> None:
    assert normalize_phone("0912 345 678") == "84912345678" == normalize_phone("+84912345678")
    with pytest.raises(ValueError):
        normalize_phone("0212345678")  # a landline: no SMS, no Zalo
    assert normalize_email("An.Nguyen@Example.VN") == "An.Nguyen@example.vn"
    profile = RecipientProfile(
        OWNER, phone="84912345678", email=None, channels=(Channel.ZALO, Channel.EMAIL, Channel.SMS)
    )
    everything = frozenset({Channel.ZALO, Channel.SMS, Channel.EMAIL})
    assert profile.external_plan(everything) == [Channel.ZALO, Channel.SMS]  # no e-mail address
    no_zalo = RecipientProfile(OWNER, phone="84912345678", channels=(Channel.ZALO, Channel.SMS), has_zalo=False)
    assert no_zalo.external_plan(everything) == [Channel.SMS]
    assert profile.external_plan(frozenset({Channel.SMS})) == [Channel.SMS]  # only configured channels
