"""Issued results and certified copies land in the owner's vault; submitted dossiers count usage once and open
documents to the receiving agency; disputes take a result out of the candidates until resolved; candidates
are ranked with reasons."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from helpers_vault import add_active, citizen_id, view
from kho_contracts.common import DigitizationState, DisputeReason, ObjectRef, OwnerKind
from kho_contracts.events import (
    CertifiedCopyIssued,
    DisputeResolved,
    DossierSubmitted,
    ResultDisputed,
    ResultIssued,
    ResultReturned,
    SubmittedComponent,
)
from kho_vault.domain.pdf import sha256_of
from vault_pdfs import unique_pdf

pytestmark = pytest.mark.integration

AGENCY = "H08.02"


def put_signed_file(vault: Any, pdf: bytes) -> ObjectRef:
    """A signed result written by the issuer (the submission service) before its event. It goes to the test
    run's vault bucket under another prefix: every bucket costs the local S3 server volumes."""
    bucket = vault.deps.objects.bucket
    key = f"submission-results/{uuid.uuid4()}.pdf"
    vault.runtime.s3.put_object(bucket, key, io.BytesIO(pdf), len(pdf))
    return ObjectRef(bucket=bucket, key=key, sha256=sha256_of(pdf), size=len(pdf))


def result_issued(vault: Any, owner: str, pdf: bytes, **extra: Any) -> ResultIssued:
    values: dict[str, Any] = {
        "result_id": str(uuid.uuid4()),
        "owner_id": owner,
        "owner_kind": OwnerKind.CITIZEN,
        "owner_name": "Lê Thị Hoa",
        "agency_code": AGENCY,
        "agency_name": "UBND huyện Tuy Phước",
        "name": "Giấy khai sinh",
        "category_code": "GKS",
        "document_number": "02022024",
        "issue_date": date(2024, 2, 2),
        "file": put_signed_file(vault, pdf),
        "pages": 1,
        "dossier_id": str(uuid.uuid4()),
        "dossier_code": f"{AGENCY}-240202-0001",
        "procedure_code": "1.001193",
        "result_code": "KQ.G15.000031",
        "decision_number": "12/QĐ-UBND",
        "summary": "Đăng ký khai sinh",
        "hidden_until_returned": False,
        **extra,
    }
    return ResultIssued(**values)


async def wait_in_vault(vault: Any, owner: str, document_id: str, check: Any = None) -> dict[str, Any]:
    async def found() -> Any:
        doc = await vault.deps.store.read(owner)
        entry = next((e for e in (doc or {}).get("documents") or [] if e["id"] == document_id), None)
        return entry if entry is not None and (check is None or check(entry)) else None

    entry: dict[str, Any] = await vault.wait_for(found)
    return entry


async def candidates(vault: Any, owner: str, headers: Any = None, on: str = "2025-06-01", **need: Any) -> Any:
    body = {"owner_id": owner, "on": on, "components": [{"component_code": "TP1", **need}]}
    return await vault.client.post("/v1/candidates", json=body, headers=headers or vault.idp.citizen(owner))


async def test_an_issued_result_lands_hidden_until_returned_then_becomes_a_candidate(vault: Any) -> None:
    owner = citizen_id()
    pdf = unique_pdf()
    event = result_issued(vault, owner, pdf, hidden_until_returned=True)
    await vault.publish(event)
    entry = await wait_in_vault(vault, owner, event.result_id)
    assert entry["document_code"] == f"{owner}.KQ.G15.000031.02022024"
    assert entry["store_kind"] == "agency_issued" and entry["status"] == "active"
    assert entry["versions"][0]["key"].startswith(f"documents/{owner}/{event.result_id}/")
    headers = vault.idp.citizen(owner)
    assert (await vault.client.get(f"/v1/documents/{event.result_id}", headers=headers)).status_code == 404
    assert (await candidates(vault, owner, result_codes=["KQ.G15.000031"])).json()["components"][0]["candidates"] == []
    [stored] = await vault.events(1, of_type="vn.gov.kho.vault.document.stored.v1", key=event.result_id)
    assert stored.hidden is True and stored.store_kind == "agency_issued"

    await vault.publish(
        ResultReturned(
            dossier_id=event.dossier_id or "",
            dossier_code=event.dossier_code or "",
            procedure_code="1.001193",
            agency_code=AGENCY,
            owner_id=owner,
            applicant_id=owner,
            result_ids=[event.result_id],
            returned_at=datetime.now(UTC),
        )
    )
    await wait_in_vault(vault, owner, event.result_id, lambda e: not e["hidden_until_returned"])
    content = await vault.client.get(f"/v1/documents/{event.result_id}/content", headers=headers)
    assert content.status_code == 200 and content.content == pdf
    found = (await candidates(vault, owner, result_codes=["KQ.G15.000031"])).json()["components"][0]["candidates"]
    assert [c["document_id"] for c in found] == [event.result_id]
    assert "result_code:KQ.G15.000031" in found[0]["reasons"] and "issued_by_agency" in found[0]["reasons"]
    # agency-issued: can be hidden, not deleted nor replaced
    assert (await vault.client.delete(f"/v1/documents/{event.result_id}", headers=headers)).status_code == 409
    replaced = await vault.client.put(
        f"/v1/documents/{event.result_id}/file",
        files={"file": ("x.pdf", unique_pdf(), "application/pdf")},
        headers=headers,
    )
    assert replaced.status_code == 409
    # the same event again changes nothing
    await vault.publish(event)
    await vault.publish(event)
    again = await vault.events(2, of_type="vn.gov.kho.vault.document.stored.v1", key=event.result_id, timeout=3)
    assert len(again) == 1


async def test_a_result_with_a_wrong_checksum_is_not_stored(vault: Any) -> None:
    owner = citizen_id()
    event = result_issued(vault, owner, unique_pdf())
    bad = event.model_copy(update={"file": event.file.model_copy(update={"sha256": "0" * 64})})
    await vault.publish(bad)
    good = result_issued(vault, owner, unique_pdf())
    await vault.publish(good)
    await wait_in_vault(vault, owner, good.result_id)
    vault_doc = await vault.deps.store.read(owner)
    assert [e["id"] for e in vault_doc["documents"]] == [good.result_id]


async def test_a_correction_supersedes_the_old_result(vault: Any) -> None:
    owner = citizen_id()
    first = result_issued(vault, owner, unique_pdf())
    await vault.publish(first)
    await wait_in_vault(vault, owner, first.result_id)
    fixed = result_issued(vault, owner, unique_pdf(), supersedes_document_id=first.result_id)
    await vault.publish(fixed)
    new = await wait_in_vault(vault, owner, fixed.result_id)
    old = await wait_in_vault(vault, owner, first.result_id)
    assert old["status"] == "superseded" and old["superseded_by"] == fixed.result_id
    assert new["document_code"] != old["document_code"]  # still unique
    assert new["document_code"].startswith(f"{owner}.KQ.G15.000031.02022024")


async def test_a_certified_copy_gets_its_code(vault: Any) -> None:
    owner = citizen_id()
    event = CertifiedCopyIssued(
        result_id=str(uuid.uuid4()),
        owner_id=owner,
        owner_kind=OwnerKind.CITIZEN,
        owner_name="Lê Thị Hoa",
        agency_code="X52.01",
        agency_name="UBND xã Phước Lộc",
        name="Bản sao chứng thực Giấy khai sinh",
        category_code="BSCT",
        document_number="SCTĐT/BS 15",
        issue_date=date(2024, 3, 1),
        file=put_signed_file(vault, unique_pdf()),
        pages=1,
        certification_number=15,
        book_code="SCTĐT/BS",
        book_year=2024,
        source_document_code=f"{owner}.KQ.G15.000031.02022024",
        fee_vnd=2000,
    )
    await vault.publish(event)
    entry = await wait_in_vault(vault, owner, event.result_id)
    assert entry["document_code"] == f"{owner}.KQ.G15.000031.02022024.STP-SCT.01"
    assert entry["document_type"] == "certified_copy" and entry["store_kind"] == "agency_issued"


def submitted(owner: str, agency: str, document_ids: list[str], reused: bool = True) -> DossierSubmitted:
    return DossierSubmitted(
        dossier_id=str(uuid.uuid4()),
        dossier_code=f"{agency}-250601-0001",
        procedure_code="1.001193",
        agency_code=agency,
        owner_id=owner,
        applicant_id=owner,
        procedure_name="Đăng ký kết hôn",
        owner_kind=OwnerKind.CITIZEN,
        submitted_at=datetime.now(UTC),
        result_delivery="online",
        components=[
            SubmittedComponent(
                component_code=f"TP{i}",
                name="Thành phần",
                document_id=doc_id,
                digitized=True,
                reused=reused,
                from_personal_vault=reused,
                digitization_state=DigitizationState.REUSED_FROM_RESULT if reused else DigitizationState.DIGITIZED,
                source="auto_attached" if reused else "uploaded",
            )
            for i, doc_id in enumerate(document_ids)
        ],
    )


async def test_usage_counts_once_per_dossier_and_opens_the_document_to_the_receiving_agency(vault: Any) -> None:
    owner = citizen_id()
    doc = await add_active(vault, owner, unique_pdf())
    officer = vault.idp.officer(AGENCY, ["front_desk"])
    other_officer = vault.idp.officer("H08.99", ["front_desk"])
    assert (await vault.client.get(f"/v1/documents/{doc['document_id']}", headers=officer)).status_code == 404
    assert (await candidates(vault, owner, headers=officer, category_codes=["GKS"])).status_code == 404

    event = submitted(owner, AGENCY, [doc["document_id"]])
    await vault.publish(event)
    await vault.publish(event)  # delivered twice
    await wait_in_vault(vault, owner, doc["document_id"], lambda e: e["usage_count"] == 1)
    second = submitted(owner, AGENCY, [doc["document_id"]])
    await vault.publish(second)
    entry = await wait_in_vault(vault, owner, doc["document_id"], lambda e: e["usage_count"] == 2)
    assert [u["dossier_id"] for u in entry["used_in"]] == [event.dossier_id, second.dossier_id]
    used = await vault.events(3, of_type="vn.gov.kho.vault.document.used.v1", key=doc["document_id"], timeout=4)
    assert [u.usage_count for u in used] == [1, 2]

    seen = await vault.client.get(f"/v1/documents/{doc['document_id']}?dossier_id={event.dossier_id}", headers=officer)
    assert seen.status_code == 200 and seen.json()["usage_count"] == 2
    listing = await vault.client.get("/v1/documents", params={"owner_id": owner}, headers=officer)
    assert listing.json()["total"] == 1
    assert (await candidates(vault, owner, headers=officer, category_codes=["GKS"])).status_code == 200
    assert (await vault.client.get(f"/v1/documents/{doc['document_id']}", headers=other_officer)).status_code == 404

    log = (
        await vault.client.get(f"/v1/documents/{doc['document_id']}/accesses", headers=vault.idp.citizen(owner))
    ).json()
    officer_reads = [a for a in log["items"] if a["actor"] == "officer"]
    assert (
        officer_reads
        and officer_reads[0]["agency_code"] == AGENCY
        and officer_reads[0]["dossier_id"] == event.dossier_id
    )
    assert (await vault.client.get(f"/v1/documents/{doc['document_id']}/accesses", headers=officer)).status_code == 404


async def test_sharing_with_an_agency(vault: Any) -> None:
    owner = citizen_id()
    doc = await add_active(vault, owner, unique_pdf())
    officer = vault.idp.officer("T52.05", ["processing"])
    assert (await vault.client.get(f"/v1/documents/{doc['document_id']}", headers=officer)).status_code == 404
    patch = {"shared": True, "shared_with_agencies": ["T52.05"]}
    response = await vault.client.patch(
        f"/v1/documents/{doc['document_id']}", json=patch, headers=vault.idp.citizen(owner)
    )
    assert response.status_code == 200
    assert (await vault.client.get(f"/v1/documents/{doc['document_id']}", headers=officer)).status_code == 200
    await vault.client.patch(
        f"/v1/documents/{doc['document_id']}", json={"shared": False}, headers=vault.idp.citizen(owner)
    )
    assert (await vault.client.get(f"/v1/documents/{doc['document_id']}", headers=officer)).status_code == 404


async def test_an_officer_digitizes_a_component_for_an_owner_whose_dossier_the_agency_received(vault: Any) -> None:
    owner = citizen_id()
    officer = vault.idp.officer(AGENCY, ["front_desk"])
    from helpers_vault import add

    fields = {"document_type": "digitized_component", "procedure_code": "1.001193", "component_code": "TK01",
              "owner_id": owner}  # fmt: skip
    refused = await add(vault, owner, unique_pdf(), headers=officer, **fields)
    assert refused.status_code == 404
    await vault.publish(submitted(owner, AGENCY, []))

    async def received() -> Any:
        doc = await vault.deps.store.read(owner)
        return doc and AGENCY in doc.get("received_by", [])

    await vault.wait_for(received)
    response = await add(vault, owner, unique_pdf(), headers=officer, **fields)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["document_code"] == f"{owner}.1.001193.TK01.01" and body["policy"] == "any-qualified"
    assert (await vault.client.get(f"/v1/documents/{body['document_id']}", headers=officer)).status_code == 200
    own = await add(vault, owner, unique_pdf(), headers=officer, owner_id=owner)
    assert own.status_code == 403


async def test_a_disputed_result_is_no_candidate_until_the_dispute_is_resolved(vault: Any) -> None:
    owner = citizen_id()
    event = result_issued(vault, owner, unique_pdf())
    await vault.publish(event)
    await wait_in_vault(vault, owner, event.result_id)
    dispute = ResultDisputed(
        dispute_id=str(uuid.uuid4()),
        document_id=event.result_id,
        owner_id=owner,
        agency_code=AGENCY,
        reason=DisputeReason.WRONG_CITIZEN_INFO,
        opened_at=datetime.now(UTC),
        deadline=date(2030, 1, 1),
    )
    await vault.publish(dispute)
    await wait_in_vault(vault, owner, event.result_id, lambda e: e["status"] == "disputed")
    assert (await candidates(vault, owner, result_codes=["KQ.G15.000031"])).json()["components"][0]["candidates"] == []

    def resolved(outcome: str, dispute_id: str, corrected: ObjectRef | None = None) -> DisputeResolved:
        return DisputeResolved(
            dispute_id=dispute_id,
            document_id=event.result_id,
            owner_id=owner,
            agency_code=AGENCY,
            outcome=outcome,
            explanation="Đã kiểm tra",
            corrected_file=corrected,
            resolved_by="officer-1",
            resolved_at=datetime.now(UTC),
        )

    await vault.publish(resolved("rejected", dispute.dispute_id))
    await wait_in_vault(vault, owner, event.result_id, lambda e: e["status"] == "active")
    assert (
        len((await candidates(vault, owner, result_codes=["KQ.G15.000031"])).json()["components"][0]["candidates"]) == 1
    )

    second = dispute.model_copy(update={"dispute_id": str(uuid.uuid4())})
    await vault.publish(second)
    await wait_in_vault(vault, owner, event.result_id, lambda e: e["status"] == "disputed")
    fixed_pdf = unique_pdf()
    await vault.publish(resolved("corrected", second.dispute_id, put_signed_file(vault, fixed_pdf)))
    entry = await wait_in_vault(vault, owner, event.result_id, lambda e: e["status"] == "active")
    assert entry["current_version"] == 2
    doc = await view(vault, owner, event.result_id)
    assert [v["version"] for v in doc["versions"]] == [1, 2]
    content = await vault.client.get(f"/v1/documents/{event.result_id}/content", headers=vault.idp.citizen(owner))
    assert content.content == fixed_pdf
    [replaced] = await vault.events(1, of_type="vn.gov.kho.vault.document.replaced.v1", key=event.result_id)
    assert replaced.reason == "dispute_corrected"


async def test_candidates_are_valid_on_the_day_and_ranked_with_reasons(vault: Any) -> None:
    owner = citizen_id()
    expired = await add_active(
        vault, owner, unique_pdf(), category_code="GPLX", issue_date="2015-01-01", valid_until="2020-01-01"
    )
    current = await add_active(
        vault, owner, unique_pdf(), category_code="GPLX", issue_date="2022-01-01", valid_until="2032-01-01"
    )
    future = await add_active(vault, owner, unique_pdf(), category_code="GPLX", issue_date="2026-01-01")
    await add_active(vault, owner, unique_pdf(), category_code="CCCD", issue_date="2021-01-01")
    pending = (await __import__("helpers_vault").add(vault, owner, unique_pdf(), category_code="GPLX")).json()
    body = {
        "owner_id": owner,
        "on": "2025-06-01",
        "components": [
            {"component_code": "GPLX", "category_codes": ["GPLX"]},
            {"component_code": "NONE", "category_codes": ["TLKT"]},
        ],
    }
    response = await vault.client.post("/v1/candidates", json=body, headers=vault.idp.citizen(owner))
    assert response.status_code == 200
    [gplx, none] = response.json()["components"]
    ids = [c["document_id"] for c in gplx["candidates"]]
    assert ids == [current["document_id"]]
    assert expired["document_id"] not in ids and future["document_id"] not in ids and pending["document_id"] not in ids
    assert (
        "category:GPLX" in gplx["candidates"][0]["reasons"]
        and "valid_until:2032-01-01" in gplx["candidates"][0]["reasons"]
    )
    assert none["candidates"] == []
    stranger = await vault.client.post("/v1/candidates", json=body, headers=vault.idp.citizen(citizen_id()))
    assert stranger.status_code == 404
