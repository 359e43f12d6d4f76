"""The vault's pure rules: folding Vietnamese for search, document codes, validity and ranking."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kho_vault.domain import codes
from kho_vault.domain.candidates import ComponentNeed, rank
from kho_vault.domain.catalogue import Catalogue
from kho_vault.domain.document import is_valid_on
from kho_vault.domain.text import fold, matches, query_terms, tokens


def test_folding_removes_case_and_diacritics_including_d_stroke() -> None:
    assert fold("Giấy Khai Sinh") == "giay khai sinh"
    assert fold("ĐĂNG KÝ đất đai") == "dang ky dat dai"
    assert tokens("Phiếu lý lịch tư pháp số 1") == ["phieu", "ly", "lich", "tu", "phap", "so", "1"]


def test_terms_match_whole_words_and_prefixes_only() -> None:
    field = tokens("Giấy chứng nhận quyền sử dụng đất")
    assert matches(query_terms("giay chung nhan"), field)
    assert matches(query_terms("GIẤY CHỨNG"), field)
    assert matches(query_terms("quyen su d"), field)
    assert not matches(query_terms("hung nhan"), field)  # not inside a word
    assert not matches(query_terms("giay khai sinh"), field)


def test_issued_result_codes_accept_the_seed_pattern_and_stay_unique() -> None:
    code = codes.issued_result_code("052090000495", "KQ.G15.000021", "02022024", None, set())
    assert code == "052090000495.KQ.G15.000021.02022024"
    assert codes.ISSUED_CODE_RE.match(code)
    again = codes.issued_result_code("052090000495", "KQ.G15.000021", "02022024", None, {code})
    assert again != code and codes.ISSUED_CODE_RE.match(again)
    by_date = codes.issued_result_code("052098000814", "KQ.G02.000144", None, date(2024, 2, 2), set())
    assert by_date == "052098000814.KQ.G02.000144.02022024"
    vietnamese = codes.issued_result_code("0312345678-001", "KQ.G02.000144", "15/GCN-SCT Đà", None, set())
    assert codes.ISSUED_CODE_RE.match(vietnamese) and vietnamese.endswith("15/GCN-SCT-DA")


def test_counter_codes_use_two_digits_per_prefix() -> None:
    first = codes.digitized_component_code("052090000495", "1.001193", "TK01", set())
    assert first == "052090000495.1.001193.TK01.01"
    assert codes.digitized_component_code("052090000495", "1.001193", "TK01", {first}).endswith(".02")
    copy = codes.certified_copy_code("052090000495", "052090000495.KQ.G15.000031.02022024", set())
    assert copy == "052090000495.KQ.G15.000031.02022024.STP-SCT.01"


def test_validity_on_a_day() -> None:
    entry = {"issue_date": "2020-01-01", "valid_until": "2025-01-01"}
    assert is_valid_on(entry, date(2024, 12, 31))
    assert is_valid_on(entry, date(2025, 1, 1))
    assert not is_valid_on(entry, date(2025, 1, 2))
    assert not is_valid_on(entry, date(2019, 12, 31))
    assert is_valid_on({"issue_date": "2020-01-01", "valid_until": None}, date(2090, 1, 1))


def _entry(doc_id: str, **extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": doc_id,
        "status": "active",
        "store_kind": "owner",
        "category_code": "GKS",
        "result_code": None,
        "issue_date": "2024-01-01",
        "valid_until": None,
        "verdict": {"indication": "TOTAL_PASSED", "policy": "any-qualified"},
        "created_at": datetime(2024, 1, 1, tzinfo=UTC),
    }
    base.update(extra)
    return base


def test_ranking_prefers_result_codes_and_agency_issued_and_skips_unusable_documents() -> None:
    need = ComponentNeed("TP1", ("GKS",), ("KQ.G15.000031",))
    entries = [
        _entry("own"),
        _entry("issued", store_kind="agency_issued", result_code="KQ.G15.000031"),
        _entry("disputed", dispute={"dispute_id": "x"}),
        _entry("hidden", hidden_until_returned=True),
        _entry("invisible", visible=False),
        _entry("pending", status="pending_verification"),
        _entry("other", category_code="CCCD"),
    ]
    ranked = rank(entries, need, date(2025, 1, 1), 10)
    assert [c.entry["id"] for c in ranked] == ["issued", "own"]
    assert ranked[0].reasons[:2] == ["result_code:KQ.G15.000031", "category:GKS"]


def test_the_built_in_catalogue_has_the_seed_categories() -> None:
    catalogue = Catalogue.load()
    assert catalogue.get("GKS") is not None and catalogue.get("GKS").result_code == "KQ.G15.000031"  # type: ignore[union-attr]
    assert len(catalogue.all()) >= 17
    assert catalogue.by_result_code("KQ.G02.000144").name.startswith("Giấy chứng nhận cửa hàng")  # type: ignore[union-attr]
