"""The submission domain without any server: catalogue validation, the state machine, component
resolution and flags, the certification fee, dossier codes and the KPI."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from kho_contracts.common import DigitizationState
from kho_submission.domain import components as comp
from kho_submission.domain import kpi
from kho_submission.domain.catalogue import CatalogueImport, ComponentSpec
from kho_submission.domain.errors import Conflict, Forbidden
from kho_submission.domain.fees import certification_fee
from kho_submission.domain.lifecycle import Status, dossier_code, transition
from kho_submission.service_layer.catalogue import builtin

TODAY = date(2025, 7, 2)
SPEC = ComponentSpec.model_validate(
    {"MaThanhPhan": "XNTTHN", "TenThanhPhan": "Giấy xác nhận tình trạng hôn nhân", "MaKetQua": ["KQ.G15.000033"]}
)


def cand(doc_id: str, *, valid_until: date | None = None, document_type: str = "issued_result", score: float = 1):
    return comp.Candidate(
        document_id=doc_id, name=doc_id, document_type=document_type, valid_until=valid_until, score=score
    )


@pytest.mark.parametrize(
    ("pages", "copies", "fee"),
    [(1, 1, 2_000), (2, 1, 4_000), (3, 1, 5_000), (10, 1, 12_000), (500, 1, 200_000), (3, 2, 10_000)],
)
def test_certification_fee(pages: int, copies: int, fee: int) -> None:
    assert certification_fee(pages, copies) == fee


def test_dossier_code_format_and_daily_limit() -> None:
    assert dossier_code("H21.01", date(2025, 7, 2), 7) == "H21.01-250702-0007"
    with pytest.raises(Conflict):
        dossier_code("H21.01", date(2025, 7, 2), 10_000)


def test_state_machine_enforces_status_and_role() -> None:
    assert transition(Status.RECEIVED, "accept", "front_desk") == Status.ACCEPTED
    assert transition(Status.PROCESSING, "issue_result", "issuing") == Status.RESULT_READY
    assert transition(Status.RESULT_READY, "return_result", "front_desk") == Status.RETURNED
    with pytest.raises(Conflict):
        transition(Status.RETURNED, "accept", "front_desk")
    with pytest.raises(Conflict):
        transition(Status.RECEIVED, "return_result", "front_desk")
    with pytest.raises(Forbidden):
        transition(Status.RECEIVED, "accept", "issuing")
    with pytest.raises(Conflict):
        transition(Status.REJECTED, "withdraw", "owner")


def test_one_fitting_document_is_attached_automatically() -> None:
    state = comp.resolve(SPEC, [cand("d1"), cand("old", valid_until=date(2025, 1, 1))], TODAY, set())
    assert state["source"] == "auto_attached"
    assert state["document"]["document_id"] == "d1"
    assert comp.review(state, TODAY, set()) == comp.Review.REUSED


def test_several_fitting_documents_are_suggestions_in_score_order() -> None:
    state = comp.resolve(SPEC, [cand("a", score=0.2), cand("b", score=0.9)], TODAY, set())
    assert state["document"] is None
    assert [c["document_id"] for c in state["candidates"]] == ["b", "a"]
    assert comp.review(state, TODAY, set()) == comp.Review.CHOOSE


def test_disputed_documents_are_not_offered_and_block_submission() -> None:
    state = comp.resolve(SPEC, [cand("a"), cand("b")], TODAY, {"b"})
    assert state["source"] == "auto_attached" and state["document"]["document_id"] == "a"
    assert comp.review(state, TODAY, {"a"}) == comp.Review.DISPUTED
    assert comp.blocking_problems([state], TODAY, {"a"})[0]["state"] == "disputed"


def test_expired_attachment_blocks_submission() -> None:
    state = comp.resolve(SPEC, [cand("a", valid_until=date(2025, 7, 30))], TODAY, set())
    later = date(2025, 8, 1)
    assert comp.review(state, later, set()) == comp.Review.EXPIRED
    assert comp.blocking_problems([state], later, set())


def test_missing_mandatory_component_blocks_but_optional_does_not() -> None:
    state = comp.resolve(SPEC, [], TODAY, set())
    assert comp.blocking_problems([state], TODAY, set())[0]["state"] == "missing"
    assert comp.blocking_problems([{**state, "mandatory": False}], TODAY, set()) == []


@pytest.mark.parametrize(
    ("source", "document_type", "expected"),
    [
        ("auto_attached", "issued_result", (True, True, True, DigitizationState.REUSED_FROM_RESULT)),
        ("picked", "digitized_component", (True, True, True, DigitizationState.REUSED_FROM_COMPONENT)),
        ("uploaded", "own_upload", (True, False, False, DigitizationState.DIGITIZED)),
        ("digitized", "digitized_component", (True, False, False, DigitizationState.DIGITIZED)),
        ("missing", None, (False, False, False, DigitizationState.NOT_DIGITIZED)),
    ],
)
def test_flags_follow_the_source(source: str, document_type: str | None, expected: tuple[Any, ...]) -> None:
    component = {
        "code": "X",
        "name": "X",
        "source": source,
        "document": {"document_id": "d", "document_type": document_type},
    }
    f = comp.flags(component)
    assert (f["digitized"], f["reused"], f["from_personal_vault"], f["digitization_state"]) == expected
    assert comp.submitted_component(component, f).digitization_state == expected[3]


def test_missed_reuse_is_an_upload_although_a_candidate_existed() -> None:
    assert comp.missed_reuse({"source": "uploaded", "candidates_at_submit": ["d1"]})
    assert not comp.missed_reuse({"source": "uploaded", "candidates_at_submit": []})
    assert not comp.missed_reuse({"source": "picked", "candidates_at_submit": ["d1"]})


def _dossier(reused: bool, *, missed: bool = False, result: bool = False) -> dict[str, Any]:
    part = {"code": "A", "mandatory": True, "document": {"document_id": "x"}, "missed_reuse": missed}
    part["flags"] = {"digitized": True, "reused": reused, "from_personal_vault": reused}
    return {"returns_document": True, "components": [part], "results": [{"file": {"key": "k"}}] if result else []}


def test_kpi_counts_dossiers_with_reuse_against_the_target() -> None:
    rows = [_dossier(True, result=True), _dossier(True), _dossier(False, missed=True), _dossier(False)]
    ind = kpi.compute(rows, 0.6)
    assert ind.reuse.as_dict() == {"numerator": 2, "denominator": 4, "value": 0.5}
    assert ind.meets_target is False
    assert ind.electronic_results.value == 0.25
    assert ind.digitization.value == 0.25
    assert ind.component_reuse.value == 0.5
    assert (ind.missed_reuse_components, ind.dossiers_with_missed_reuse) == (1, 1)
    assert kpi.compute(rows[:2], 0.6).meets_target is True
    assert kpi.compute([], 0.6).reuse.value is None


def test_builtin_catalogue_covers_the_seed_examples() -> None:
    catalogue = builtin()
    assert len(catalogue.procedures) >= 10
    by_code = {p.code: p for p in catalogue.procedures}
    marriage = by_code["1.000894"]
    assert any("tình trạng hôn nhân" in c.name for c in marriage.components)
    birth = by_code["1.001193"]
    assert [r.code for r in birth.results] == ["KQ.G15.000031"]
    results = {r.code for p in catalogue.procedures for r in p.results}
    assert {"KQ.G02.000144", "KQ.G15.000021", "KQ.G15.000051"} <= results
    old_province = next(a for a in catalogue.areas if a.code == "BD")
    assert old_province.merged_into == "GL" and not old_province.active


def test_catalogue_import_refuses_bad_codes_and_dangling_references() -> None:
    with pytest.raises(ValueError, match=r"1\.001193"):
        CatalogueImport.model_validate(
            {
                "ThuTuc": [
                    {"MaTTHC": "ABC", "TenTTHC": "x", "CapThucHien": "commune", "TruongHop": [], "ThanhPhanHoSo": []}
                ]
            }
        )
    with pytest.raises(ValueError, match="unknown area"):
        CatalogueImport.model_validate(
            {
                "DonViHanhChinh": [{"MaDonVi": "GL", "TenDonVi": "Gia Lai", "Cap": "province"}],
                "CoQuan": [{"MaCoQuan": "X.1", "TenCoQuan": "x", "Cap": "commune", "MaDonViHanhChinh": "NOPE"}],
            }
        )
