"""The rules of issue 6 against the real Kafka, FerretDB and S3, one test per rule."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kho_contracts.common import ObjectRef, StoreKind
from kho_contracts.events import DocumentReplaced, DossierRejected, ResultReturned
from kho_feedback.service_layer.escalation import escalate_overdue
from kho_feedback.testing import FeedbackUnderTest, eventually, new_identity_number, signed_looking_pdf
from kho_platform.outbox import document_lock, pending_events

pytestmark = pytest.mark.integration

AGENCY = "H08.02"
OTHER_AGENCY = "H08.09"


async def open_one(service: FeedbackUnderTest, **doc_fields: Any) -> tuple[str, dict[str, Any]]:
    stored = await service.store_document(**{"issuing_agency_code": AGENCY, **doc_fields})
    response = await service.dispute(stored.owner_id, stored.document_id, note="Sai ngày sinh")
    assert response.status_code == 201, response.text
    return stored.owner_id, response.json()


async def stored_dispute(service: FeedbackUnderTest, dispute_id: str) -> dict[str, Any]:
    doc = await service.fb.runtime.db["disputes"].find_one({"_id": dispute_id})
    assert doc is not None
    return doc


async def test_owner_disputes_an_agency_issued_result_and_result_disputed_goes_out(service: FeedbackUnderTest) -> None:
    stored = await service.store_document(issuing_agency_code=AGENCY, name="Giấy khai sinh")
    response = await service.dispute(stored.owner_id, stored.document_id, "not_government_signed", note="  ")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["agency_code"] == AGENCY  # routed to the issuing agency from the vault's event
    assert body["status"] == "open" and body["note"] is None
    assert body["document_version"] == 1 and body["document_name"] == "Giấy khai sinh"
    assert "Ban Cơ yếu" in body["reason_text_vi"]
    assert [h["action"] for h in body["history"]] == ["opened"]
    assert body["history"][0]["by"] == f"citizen-{stored.owner_id}"

    (found,) = await service.read_events("result.disputed.v1", 1, dispute_id=body["dispute_id"])
    envelope, event = found
    assert envelope.source == "/kho/feedback"
    assert event.owner_id == stored.owner_id and event.agency_code == AGENCY
    assert event.reason.value == "not_government_signed"
    assert event.deadline.isoformat() == body["deadline"]
    assert event.document_code == stored.document_code


async def test_another_owners_document_is_404_and_nothing_is_stored(service: FeedbackUnderTest) -> None:
    stored = await service.store_document(issuing_agency_code=AGENCY)
    stranger = new_identity_number()
    response = await service.dispute(stranger, stored.document_id)
    assert response.status_code == 404
    assert response.json()["detail_vi"]
    assert await service.fb.runtime.db["disputes"].count_documents({"document_id": stored.document_id}) == 0


async def test_unknown_document_is_404(service: FeedbackUnderTest) -> None:
    response = await service.dispute(new_identity_number(), "doc-never-stored")
    assert response.status_code == 404


async def test_owners_own_upload_is_422_not_agency_issued(service: FeedbackUnderTest) -> None:
    stored = await service.store_document(store_kind=StoreKind.OWNER)
    response = await service.dispute(stored.owner_id, stored.document_id)
    assert response.status_code == 422
    assert response.json()["title"] == "not_agency_issued"
    assert await service.fb.runtime.db["disputes"].count_documents({"document_id": stored.document_id}) == 0


async def test_hidden_result_cannot_be_disputed_until_it_is_returned(service: FeedbackUnderTest) -> None:
    stored = await service.store_document(issuing_agency_code=AGENCY, hidden=True)
    assert (await service.dispute(stored.owner_id, stored.document_id)).status_code == 404
    returned = ResultReturned(
        dossier_id="dossier-x",
        dossier_code="H08.02-260105-0001",
        procedure_code="1.001193",
        agency_code=AGENCY,
        owner_id=stored.owner_id,
        applicant_id=stored.owner_id,
        result_ids=[stored.document_id],
        returned_at=datetime.now(UTC),
    )
    await service.publish(returned, source="/kho/submission")

    async def visible() -> bool:
        doc = await service.fb.documents.get(stored.document_id)
        return doc is not None and doc.visible

    await eventually(visible)
    assert (await service.dispute(stored.owner_id, stored.document_id)).status_code == 201


async def test_second_open_dispute_is_409_also_when_concurrent(service: FeedbackUnderTest) -> None:
    stored = await service.store_document(issuing_agency_code=AGENCY)
    first, second = await asyncio.gather(
        service.dispute(stored.owner_id, stored.document_id), service.dispute(stored.owner_id, stored.document_id)
    )
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    third = await service.dispute(stored.owner_id, stored.document_id, "not_owners_result")
    assert third.status_code == 409
    assert third.json()["title"] == "dispute_already_open"
    assert await service.fb.runtime.db["disputes"].count_documents({"document_id": stored.document_id}) == 1


async def test_unknown_reason_is_422_and_nothing_is_stored(service: FeedbackUnderTest) -> None:
    stored = await service.store_document(issuing_agency_code=AGENCY)
    response = await service.dispute(stored.owner_id, stored.document_id, "i_just_dont_like_it")
    assert response.status_code == 422
    assert response.json()["title"] == "unknown_reason"
    assert "wrong_citizen_info" in response.json()["allowed"]
    assert await service.fb.runtime.db["disputes"].count_documents({"document_id": stored.document_id}) == 0


async def test_only_owners_can_dispute(service: FeedbackUnderTest) -> None:
    stored = await service.store_document(issuing_agency_code=AGENCY)
    response = await service.client.post(
        "/v1/disputes",
        json={"document_id": stored.document_id, "reason": "wrong_citizen_info"},
        headers=service.idp.officer(AGENCY, ["front_desk"]),
    )
    assert response.status_code == 403
    assert (await service.client.post("/v1/disputes", json={})).status_code == 401


async def test_agency_queue_shows_the_dispute_to_its_officers_only(service: FeedbackUnderTest) -> None:
    _, dispute = await open_one(service)
    officer = service.idp.officer(AGENCY, ["dispute_handler"])
    queue = await service.client.get(f"/v1/agencies/{AGENCY}/disputes", params={"limit": 100}, headers=officer)
    assert queue.status_code == 200
    assert dispute["dispute_id"] in [d["dispute_id"] for d in queue.json()["items"]]
    deadlines = [d["deadline"] for d in queue.json()["items"]]
    assert deadlines == sorted(deadlines)  # nearest deadline first

    other = await service.client.get(f"/v1/agencies/{AGENCY}/disputes", headers=service.idp.officer(OTHER_AGENCY, []))
    assert other.status_code == 403
    owner_try = await service.client.get(
        f"/v1/agencies/{AGENCY}/disputes", headers=service.idp.citizen(dispute["owner_id"])
    )
    assert owner_try.status_code == 403
    other_queue = await service.client.get(
        f"/v1/agencies/{OTHER_AGENCY}/disputes", headers=service.idp.officer(OTHER_AGENCY, [])
    )
    assert dispute["dispute_id"] not in [d["dispute_id"] for d in other_queue.json()["items"]]


async def test_officer_of_another_agency_cannot_resolve_403_and_nothing_changes(service: FeedbackUnderTest) -> None:
    _, dispute = await open_one(service)
    before = await stored_dispute(service, dispute["dispute_id"])
    response = await service.resolve(
        dispute["dispute_id"],
        service.idp.officer(OTHER_AGENCY, ["dispute_handler"]),
        "rejected",
        "Không có sai sót nào cả",
    )
    assert response.status_code == 403
    assert response.json()["title"] == "other_agency"
    citizen = await service.resolve(
        dispute["dispute_id"], service.idp.citizen(dispute["owner_id"]), "rejected", "x" * 20
    )
    assert citizen.status_code == 403
    after = await stored_dispute(service, dispute["dispute_id"])
    assert after["status"] == "open" and after["version"] == before["version"]


async def test_rejection_needs_an_explanation_and_no_file(service: FeedbackUnderTest) -> None:
    _, dispute = await open_one(service)
    officer = service.idp.officer(AGENCY, ["dispute_handler"])
    assert (await service.resolve(dispute["dispute_id"], officer, "rejected")).status_code == 422
    with_file = await service.resolve(
        dispute["dispute_id"], officer, "rejected", "Không có sai sót", signed_looking_pdf()
    )
    assert with_file.status_code == 422
    assert (await service.resolve(dispute["dispute_id"], officer, "approved", "whatever text")).status_code == 422
    assert (await stored_dispute(service, dispute["dispute_id"]))["status"] == "open"


async def test_correction_needs_a_signed_pdf(service: FeedbackUnderTest) -> None:
    _, dispute = await open_one(service)
    officer = service.idp.officer(AGENCY, ["dispute_handler"])
    assert (await service.resolve(dispute["dispute_id"], officer, "corrected")).status_code == 422
    unsigned = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    response = await service.resolve(dispute["dispute_id"], officer, "corrected", None, unsigned)
    assert response.status_code == 422 and response.json()["title"] == "not_a_signed_pdf"
    assert (await stored_dispute(service, dispute["dispute_id"]))["status"] == "open"


async def test_correction_stores_the_file_and_dispute_resolved_carries_it(service: FeedbackUnderTest) -> None:
    owner, dispute = await open_one(service)
    officer = service.idp.officer(AGENCY, ["dispute_handler"], subject="officer-h0802-lan")
    pdf = signed_looking_pdf("re-issued")
    response = await service.resolve(dispute["dispute_id"], officer, "corrected", "Đã cấp lại", pdf)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "resolved"
    assert body["resolution"]["outcome"] == "corrected"
    ref = body["resolution"]["corrected_file"]
    assert ref["sha256"] == hashlib.sha256(pdf).hexdigest() and ref["size"] == len(pdf)
    assert ref["bucket"] == service.fb.files._bucket
    assert await service.fb.files.read(ObjectRef.model_validate(ref)) == pdf  # the bytes really are in S3
    assert [h["action"] for h in body["history"]] == ["opened", "resolved"]
    assert body["history"][1]["by"] == "officer-h0802-lan"

    (found,) = await service.read_events("dispute.resolved.v1", 1, dispute_id=dispute["dispute_id"])
    _, event = found
    assert event.outcome == "corrected" and event.owner_id == owner
    assert event.corrected_file.key == ref["key"] and event.corrected_file.sha256 == ref["sha256"]
    assert event.resolved_by == "officer-h0802-lan"

    # the owner may open a new dispute once the previous one is closed
    assert (await service.dispute(owner, dispute["document_id"])).status_code == 201


async def test_repeated_resolution_is_409_and_nothing_changes(service: FeedbackUnderTest) -> None:
    _, dispute = await open_one(service)
    officer = service.idp.officer(AGENCY, ["dispute_handler"])
    first = await service.resolve(dispute["dispute_id"], officer, "rejected", "Thông tin trên kết quả là chính xác")
    assert first.status_code == 200
    before = await stored_dispute(service, dispute["dispute_id"])
    again = await service.resolve(dispute["dispute_id"], officer, "corrected", None, signed_looking_pdf("late"))
    assert again.status_code == 409
    assert again.json()["title"] == "dispute_already_resolved"
    after = await stored_dispute(service, dispute["dispute_id"])
    for doc in (before, after):
        doc.pop("outbox", None), doc.pop("outbox_pending", None), doc.pop("outbox_lease_until", None)
        doc.pop("outbox_lease_owner", None)
    assert after == before
    assert len(await service.read_events("dispute.resolved.v1", 1, dispute_id=dispute["dispute_id"])) == 1
    events = await service.read_events("dispute.resolved.v1", 2, within=3, dispute_id=dispute["dispute_id"])
    assert len(events) == 1


async def test_concurrent_resolutions_resolve_once(service: FeedbackUnderTest) -> None:
    _, dispute = await open_one(service)
    officer = service.idp.officer(AGENCY, ["dispute_handler"])
    results = await asyncio.gather(
        service.resolve(dispute["dispute_id"], officer, "corrected", None, signed_looking_pdf("one")),
        service.resolve(dispute["dispute_id"], officer, "corrected", None, signed_looking_pdf("two")),
    )
    assert sorted(r.status_code for r in results) == [200, 409]
    doc = await stored_dispute(service, dispute["dispute_id"])
    assert [h["action"] for h in doc["history"]] == ["opened", "resolved"]


async def test_overdue_dispute_is_escalated_exactly_once_by_concurrent_sweepers(service: FeedbackUnderTest) -> None:
    _, dispute = await open_one(service)
    doc = await stored_dispute(service, dispute["dispute_id"])
    later = doc["overdue_at"] + timedelta(minutes=1)
    counts = await asyncio.gather(*(escalate_overdue(service.fb, now=later) for _ in range(4)))
    assert sum(counts) >= 1
    after = await stored_dispute(service, dispute["dispute_id"])
    assert after["escalated"] is True and after["escalated_to_role"] == "dispute_supervisor"
    assert [h["action"] for h in after["history"]].count("escalated") == 1
    assert await escalate_overdue(service.fb, now=later + timedelta(days=3)) == 0
    assert len(await service.read_events("dispute.overdue.v1", 1, dispute_id=dispute["dispute_id"])) == 1
    events = await service.read_events("dispute.overdue.v1", 2, within=3, dispute_id=dispute["dispute_id"])
    assert len(events) == 1
    assert events[0][1].escalated_to_role == "dispute_supervisor"


async def test_sweeper_does_not_escalate_before_the_deadline(service: FeedbackUnderTest) -> None:
    _, dispute = await open_one(service)
    doc = await stored_dispute(service, dispute["dispute_id"])
    await escalate_overdue(service.fb, now=doc["overdue_at"] - timedelta(seconds=1))
    assert (await stored_dispute(service, dispute["dispute_id"]))["escalated"] is False


async def test_background_job_escalates_when_the_deadline_has_passed(service: FeedbackUnderTest) -> None:
    _, dispute = await open_one(service)
    # time passes: the deadline is moved into the past, the running service's sweeper does the rest (under the
    # document's lock, as the service's own writers: the outbox relay may be trimming the same document)
    async with document_lock("disputes", dispute["dispute_id"]):
        await service.fb.runtime.db["disputes"].update_one(
            {"_id": dispute["dispute_id"]}, {"$set": {"overdue_at": datetime.now(UTC) - timedelta(hours=1)}}
        )

    async def escalated() -> bool:
        return bool((await stored_dispute(service, dispute["dispute_id"]))["escalated"])

    await eventually(escalated, within=10)
    supervisor = service.idp.officer(AGENCY, ["dispute_supervisor"])
    queue = await service.client.get(
        f"/v1/agencies/{AGENCY}/disputes", params={"escalated": "true", "limit": 100}, headers=supervisor
    )
    assert dispute["dispute_id"] in [d["dispute_id"] for d in queue.json()["items"]]
    item = next(d for d in queue.json()["items"] if d["dispute_id"] == dispute["dispute_id"])
    assert item["overdue"] is True
    assert len(await service.read_events("dispute.overdue.v1", 1, dispute_id=dispute["dispute_id"])) == 1


async def test_open_dossiers_that_used_the_document_are_listed(service: FeedbackUnderTest) -> None:
    stored = await service.store_document(issuing_agency_code=AGENCY)
    kept = await service.submit_dossier(stored.owner_id, [stored.document_id], agency_code="H08.05")
    closed = await service.submit_dossier(stored.owner_id, [stored.document_id], agency_code="H08.06")
    await service.submit_dossier(stored.owner_id, ["some-other-document"])
    rejected = DossierRejected(
        dossier_id=closed,
        dossier_code="H08.06-260105-0002",
        procedure_code="1.001193",
        agency_code="H08.06",
        owner_id=stored.owner_id,
        applicant_id=stored.owner_id,
        officer_id="officer-1",
        reason="Thiếu giấy tờ",
        rejected_at=datetime.now(UTC),
    )
    await service.publish(rejected, source="/kho/submission")

    async def projected() -> bool:
        rows = service.fb.runtime.db["dossier_documents"].find({"document_id": stored.document_id})
        return {(d["dossier_id"], d["open"]) async for d in rows} == {(kept, True), (closed, False)}

    await eventually(projected)
    response = await service.dispute(stored.owner_id, stored.document_id)
    dispute_id = response.json()["dispute_id"]
    (found,) = await service.read_events("result.disputed.v1", 1, dispute_id=dispute_id)
    assert found[1].affected_dossier_ids == [kept]

    front_desk = service.idp.officer("H08.05", ["front_desk"])  # the desk of the affected dossier may look
    detail = await service.client.get(f"/v1/disputes/{dispute_id}", headers=front_desk)
    assert detail.status_code == 200
    assert [d["dossier_id"] for d in detail.json()["affected_dossiers"]] == [kept]
    unrelated = await service.client.get(f"/v1/disputes/{dispute_id}", headers=service.idp.officer("H08.07", []))
    assert unrelated.status_code == 404


async def test_owner_sees_the_history_of_their_disputes(service: FeedbackUnderTest) -> None:
    owner = new_identity_number()
    first = await service.store_document(owner_id=owner, issuing_agency_code=AGENCY)
    second = await service.store_document(owner_id=owner, issuing_agency_code=OTHER_AGENCY)
    d1 = (await service.dispute(owner, first.document_id)).json()
    d2 = (await service.dispute(owner, second.document_id, "not_owners_result")).json()
    await service.resolve(d1["dispute_id"], service.idp.officer(AGENCY, []), "rejected", "Kết quả đã đúng thông tin")
    other_owner_doc = await service.store_document(issuing_agency_code=AGENCY)
    await service.dispute(other_owner_doc.owner_id, other_owner_doc.document_id)

    mine = await service.client.get("/v1/disputes", params={"mine": "true"}, headers=service.idp.citizen(owner))
    assert mine.status_code == 200
    items = mine.json()["items"]
    assert mine.json()["total"] == 2
    assert [i["dispute_id"] for i in items] == [d2["dispute_id"], d1["dispute_id"]]  # newest first
    resolved = items[1]
    assert [h["action"] for h in resolved["history"]] == ["opened", "resolved"]
    assert resolved["resolution"]["explanation"] == "Kết quả đã đúng thông tin"

    view = await service.client.get(f"/v1/documents/{first.document_id}/disputes", headers=service.idp.citizen(owner))
    assert view.json()["disputable"] is True and len(view.json()["disputes"]) == 1
    view2 = await service.client.get(f"/v1/documents/{second.document_id}/disputes", headers=service.idp.citizen(owner))
    assert view2.json()["disputable"] is False and view2.json()["open_dispute_id"] == d2["dispute_id"]
    stranger = await service.client.get(
        f"/v1/disputes/{d1['dispute_id']}", headers=service.idp.citizen(new_identity_number())
    )
    assert stranger.status_code == 404
    officer_list = await service.client.get("/v1/disputes", headers=service.idp.officer(AGENCY, []))
    assert officer_list.status_code == 403


async def test_operator_report_counts_and_resolution_times_per_agency(service: FeedbackUnderTest) -> None:
    agency = f"R{new_identity_number()[-5:]}"
    ids = []
    for _ in range(3):
        _, dispute = await open_one(service, issuing_agency_code=agency)
        ids.append(dispute["dispute_id"])
    officer = service.idp.officer(agency, [])
    await service.resolve(ids[0], officer, "corrected", None, signed_looking_pdf("r1"))
    await service.resolve(ids[1], officer, "rejected", "Thông tin đã chính xác")
    today = datetime.now(UTC).astimezone(service.fb.calendar.tz).date()
    params = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
    response = await service.client.get("/v1/reports/disputes", params=params, headers=operator(service))
    assert response.status_code == 200, response.text
    (row,) = [a for a in response.json()["agencies"] if a["agency_code"] == agency]
    assert row["opened"] == 3 and row["resolved"] == 2 and row["still_open"] == 1
    assert row["corrected"] == 1 and row["rejected"] == 1 and row["resolved_within_deadline"] == 2
    assert row["mean_resolution_hours"] is not None and 0 <= row["mean_resolution_hours"] < 1

    past = {"from": "2020-01-01", "to": "2020-12-31"}
    empty = await service.client.get("/v1/reports/disputes", params=past, headers=operator(service))
    assert all(a["agency_code"] != agency for a in empty.json()["agencies"])
    denied = await service.client.get("/v1/reports/disputes", params=params, headers=officer)
    assert denied.status_code == 403
    backwards = {"from": today.isoformat(), "to": (today - timedelta(days=3)).isoformat()}
    assert (
        await service.client.get("/v1/reports/disputes", params=backwards, headers=operator(service))
    ).status_code == 422


def operator(service: FeedbackUnderTest) -> dict[str, str]:
    return service.idp.headers(service.idp.token(subject="operator-1", actor="operator", roles=["report_viewer"]))


async def test_projection_ignores_redeliveries_and_older_versions(service: FeedbackUnderTest) -> None:
    stored = await service.store_document(issuing_agency_code=AGENCY, version=2)
    event_id = await service.publish(stored, source="/kho/vault")  # the same state again
    older = stored.model_copy(update={"version": 1, "issuing_agency_code": "H99.99"})
    await service.publish(older, source="/kho/vault")
    await service.publish(stored, source="/kho/vault", event_id=event_id)
    await asyncio.sleep(1.5)
    known = await service.fb.documents.get(stored.document_id)
    assert known is not None and known.version == 2 and known.issuing_agency_code == AGENCY


async def test_vault_applying_the_correction_is_recorded_in_the_dispute(service: FeedbackUnderTest) -> None:
    owner, dispute = await open_one(service)
    pdf = signed_looking_pdf("applied")
    resolved = await service.resolve(dispute["dispute_id"], service.idp.officer(AGENCY, []), "corrected", None, pdf)
    ref = resolved.json()["resolution"]["corrected_file"]
    replaced = DocumentReplaced(
        document_id=dispute["document_id"],
        owner_id=owner,
        version=2,
        previous_version=1,
        file=ObjectRef.model_validate(ref),
        reason="dispute_corrected",
    )
    event_id = await service.publish(replaced, source="/kho/vault")
    await service.publish(replaced, source="/kho/vault", event_id=event_id)  # delivered twice

    async def applied() -> bool:
        return bool((await stored_dispute(service, dispute["dispute_id"])).get("correction_applied"))

    await eventually(applied)
    await asyncio.sleep(1.0)
    doc = await stored_dispute(service, dispute["dispute_id"])
    assert [h["action"] for h in doc["history"]] == ["opened", "resolved", "correction_applied"]
    known = await service.fb.documents.get(dispute["document_id"])
    assert known is not None and known.version == 2
    assert pending_events(doc) == [] or all(t.endswith("resolved.v1") for t, _ in pending_events(doc))
