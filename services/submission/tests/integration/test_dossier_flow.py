"""The citizen's dossier and the agency's desk through the HTTP API, on the real database, Kafka and S3
(the vault and the signature service are fakes of their ports here; tests/e2e runs the real ones)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from kho_platform.testing import TestIdentityProvider

from .conftest import Running

pytestmark = pytest.mark.integration

AGENCY = "H21.01"  # UBND xã Tuy Phước (seed catalogue)
OTHER_AGENCY = "H21.02"
MARRIAGE = "1.000894"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Page >> endobj\n%%EOF\n"


def owner_id() -> str:
    return f"0520{uuid.uuid4().int % 10**8:08d}"


async def new_draft(svc: Running, idp: TestIdentityProvider, owner: str, **body: Any) -> dict[str, Any]:
    payload = {"procedure_code": MARRIAGE, "agency_code": AGENCY, **body}
    response = await svc.client.post("/v1/dossiers", json=payload, headers=idp.citizen(owner))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def upload(svc: Running, idp: TestIdentityProvider, owner: str, dossier_id: str, code: str) -> httpx.Response:
    return await svc.client.post(
        f"/v1/dossiers/{dossier_id}/components/{code}/upload",
        files={"file": ("to-khai.pdf", PDF, "application/pdf")},
        headers=idp.citizen(owner),
    )


async def ready_dossier(svc: Running, idp: TestIdentityProvider, owner: str) -> dict[str, Any]:
    """A marriage dossier with the certificate attached from the vault and the form uploaded."""
    svc.vault.add(
        owner, category_code="GXNTTHN", name="Giấy xác nhận tình trạng hôn nhân", document_code=f"{owner}.X.1"
    )
    draft = await new_draft(svc, idp, owner)
    assert (await upload(svc, idp, owner, draft["id"], "TK")).status_code == 200
    return draft


async def submit(svc: Running, idp: TestIdentityProvider, owner: str, dossier_id: str, key: str) -> httpx.Response:
    return await svc.client.post(
        f"/v1/dossiers/{dossier_id}/submit", headers={**idp.citizen(owner), "Idempotency-Key": key}
    )


def component(view: dict[str, Any], code: str) -> dict[str, Any]:
    return next(c for c in view["components"] if c["code"] == code)


async def test_components_are_attached_suggested_or_uploaded(
    service: Running, identity_provider: TestIdentityProvider
) -> None:
    owner = owner_id()
    certificate = service.vault.add(owner, category_code="GXNTTHN", name="Giấy xác nhận TTHN")
    ids = [service.vault.add(owner, result_code="KQ.G01.000023", name=f"CCCD {i}").document_id for i in range(2)]

    draft = await new_draft(service, identity_provider, owner)
    review = draft["review"]
    assert component(review, "XNTTHN")["state"] == "reused"
    assert component(draft, "XNTTHN")["source"] == "auto_attached"
    assert component(draft, "XNTTHN")["document"]["document_id"] == certificate.document_id
    assert component(review, "CCCD")["state"] == "choose"
    assert {s["document_id"] for s in component(review, "CCCD")["suggestions"]} == set(ids)
    assert component(review, "TK")["state"] == "missing" and not component(review, "TK")["mandatory"]

    picked = await service.client.put(
        f"/v1/dossiers/{draft['id']}/components/CCCD",
        json={"document_id": ids[1]},
        headers=identity_provider.citizen(owner),
    )
    assert picked.status_code == 200, picked.text
    assert component(picked.json(), "CCCD")["state"] == "reused"

    uploaded = await upload(service, identity_provider, owner, draft["id"], "TK")
    assert uploaded.status_code == 200, uploaded.text
    assert component(uploaded.json(), "TK")["state"] == "uploaded"
    assert service.vault.uploads[-1].owner_id == owner and service.vault.uploads[-1].document_type == "own_upload"
    assert uploaded.json()["can_submit"]


async def test_submit_is_idempotent_and_a_double_submit_is_refused(
    service: Running, identity_provider: TestIdentityProvider
) -> None:
    owner = owner_id()
    draft = await ready_dossier(service, identity_provider, owner)
    first = await submit(service, identity_provider, owner, draft["id"], "key-1")
    assert first.status_code == 200, first.text
    code = first.json()["code"]
    assert re.fullmatch(rf"{re.escape(AGENCY)}-\d{{6}}-\d{{4}}", code)
    again = await submit(service, identity_provider, owner, draft["id"], "key-1")
    assert again.json()["code"] == code
    double = await submit(service, identity_provider, owner, draft["id"], "key-2")
    assert double.status_code == 409 and double.json()["title"] == "already_submitted"
    stored = await service.ctx.dossiers.get(draft["id"])
    assert stored is not None and stored["code"] == code and stored["status"] == "received"
    flags = {c["code"]: c["flags"] for c in stored["components"]}
    assert flags["XNTTHN"] == {"digitized": True, "reused": True, "from_personal_vault": True, "digitization_state": 3}
    assert flags["TK"]["digitization_state"] == 1 and not flags["TK"]["reused"]


async def test_concurrent_submits_get_gap_free_codes(service: Running, identity_provider: TestIdentityProvider) -> None:
    owners = [owner_id() for _ in range(25)]
    drafts = [await ready_dossier(service, identity_provider, o) for o in owners]
    responses = await asyncio.gather(
        *[submit(service, identity_provider, o, d["id"], f"k-{d['id']}") for o, d in zip(owners, drafts, strict=True)]
    )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses if r.status_code != 200]
    numbers = sorted(int(r.json()["code"].rsplit("-", 1)[1]) for r in responses)
    assert numbers == list(range(numbers[0], numbers[0] + 25))
    slots = await service.ctx.numbers.numbers(responses[0].json()["code"].rsplit("-", 1)[0])
    assert [s["n"] for s in slots] == list(range(1, len(slots) + 1))


async def test_an_interrupted_submit_is_finished_with_its_reserved_number(
    service: Running, identity_provider: TestIdentityProvider
) -> None:
    owner = owner_id()
    draft = await ready_dossier(service, identity_provider, owner)
    ctx = service.ctx
    # the process died after reserving the number, before writing the dossier
    today = ctx.settings.local_today()
    key = f"{AGENCY}-{today:%y%m%d}"
    slot = await ctx.numbers.take(
        key, draft["id"], kind="dossier", day=today.isoformat(), idempotency_key="crash", by="t"
    )
    number = slot["n"]
    other_key = await submit(service, identity_provider, owner, draft["id"], "another")
    assert other_key.status_code == 409 and other_key.json()["title"] == "submit_in_progress"
    for _ in range(100):  # the sweeper finishes it
        stored = await ctx.dossiers.get(draft["id"])
        if stored and stored["status"] == "received":
            break
        await asyncio.sleep(0.2)
    assert stored is not None and stored["status"] == "received"
    assert stored["code"] == f"{key}-{number:04d}"
    retry = await submit(service, identity_provider, owner, draft["id"], "crash")
    assert retry.json()["code"] == stored["code"]


async def test_bad_input_is_refused_and_changes_nothing(
    service: Running, identity_provider: TestIdentityProvider
) -> None:
    owner, stranger = owner_id(), owner_id()
    citizen = identity_provider.citizen(owner)
    unknown = await service.client.post(
        "/v1/dossiers", json={"procedure_code": "9.999999", "agency_code": AGENCY}, headers=citizen
    )
    assert unknown.status_code == 404 and unknown.json()["detail_vi"]
    wrong_agency = await service.client.post(
        "/v1/dossiers", json={"procedure_code": "2.000647", "agency_code": AGENCY}, headers=citizen
    )
    assert wrong_agency.status_code == 422 and wrong_agency.json()["title"] == "agency_not_competent"
    for_other = await service.client.post(
        "/v1/dossiers", json={"procedure_code": MARRIAGE, "agency_code": AGENCY, "owner_id": stranger}, headers=citizen
    )
    assert for_other.status_code == 403

    draft = await new_draft(service, identity_provider, owner)
    before = await service.ctx.dossiers.get(draft["id"])
    foreign = service.vault.add(stranger, category_code="GXNTTHN")
    attempts = [
        await service.client.put(
            f"/v1/dossiers/{draft['id']}/components/NOPE", json={"document_id": foreign.document_id}, headers=citizen
        ),
        await service.client.put(
            f"/v1/dossiers/{draft['id']}/components/XNTTHN", json={"document_id": foreign.document_id}, headers=citizen
        ),
        await submit(service, identity_provider, owner, draft["id"], "incomplete"),
        await service.client.post(f"/v1/dossiers/{draft['id']}/submit", headers=citizen),
        await service.client.get(f"/v1/dossiers/{draft['id']}", headers=identity_provider.citizen(stranger)),
    ]
    assert [a.status_code for a in attempts] == [422, 422, 422, 422, 404]
    assert attempts[0].json()["title"] == "unknown_component"
    assert attempts[1].json()["title"] == "document_not_fitting"
    assert attempts[2].json()["title"] == "dossier_incomplete"

    expired = service.vault.add(owner, category_code="GXNTTHN", valid_until=date.today() - timedelta(days=1))
    disputed = service.vault.add(owner, category_code="GXNTTHN")
    await service.ctx.disputed.opened(disputed.document_id, "dispute-1", f"evt-{uuid.uuid4()}")
    for document in (expired, disputed):
        refused = await service.client.put(
            f"/v1/dossiers/{draft['id']}/components/XNTTHN", json={"document_id": document.document_id}, headers=citizen
        )
        assert refused.status_code == 422, refused.text
    after = await service.ctx.dossiers.get(draft["id"])
    assert after is not None and before is not None
    assert after["components"] == before["components"] and after["status"] == "draft"


async def test_front_desk_reuses_digitizes_and_issues_the_result(
    service: Running, identity_provider: TestIdentityProvider, topic_prefix: str
) -> None:
    owner = owner_id()
    draft = await ready_dossier(service, identity_provider, owner)
    # the optional CCCD is not given; the front desk finds it in the vault afterwards
    code = (await submit(service, identity_provider, owner, draft["id"], "desk")).json()["code"]
    card = service.vault.add(owner, result_code="KQ.G01.000023", name="Thẻ căn cước công dân")
    desk = identity_provider.officer(AGENCY, ["front_desk"])
    processing = identity_provider.officer(AGENCY, ["processing"])
    issuing = identity_provider.officer(AGENCY, ["issuing"])

    queue = await service.client.get("/v1/agency/dossiers", params={"status": "received"}, headers=desk)
    assert code in [d["code"] for d in queue.json()["items"]]
    other = await service.client.get(
        f"/v1/agency/dossiers/{draft['id']}", headers=identity_provider.officer(OTHER_AGENCY, ["front_desk"])
    )
    assert other.status_code == 404

    seen = (await service.client.get(f"/v1/agency/dossiers/{draft['id']}", headers=desk)).json()
    cccd = component(seen, "CCCD")
    assert cccd["reuse_before_digitizing"] and cccd["vault_candidates"][0]["document_id"] == card.document_id
    reused = await service.client.put(
        f"/v1/agency/dossiers/{draft['id']}/components/CCCD", json={"document_id": card.document_id}, headers=desk
    )
    assert reused.status_code == 200, reused.text
    assert component(reused.json(), "CCCD")["flags"]["reused"]

    digitized = await service.client.post(
        f"/v1/agency/dossiers/{draft['id']}/components/TK/digitize",
        files={"file": ("scan.pdf", PDF, "application/pdf")},
        headers=desk,
    )
    assert digitized.status_code == 200, digitized.text
    assert service.vault.uploads[-1].document_type == "digitized_component"
    assert service.vault.uploads[-1].owner_id == owner

    early = await service.client.post(f"/v1/agency/dossiers/{draft['id']}/return", headers=desk)
    assert early.status_code == 409 and early.json()["title"] == "transition_not_allowed"
    wrong_role = await service.client.post(f"/v1/agency/dossiers/{draft['id']}/accept", headers=issuing)
    assert wrong_role.status_code == 403

    assert (await service.client.post(f"/v1/agency/dossiers/{draft['id']}/accept", headers=desk)).json()[
        "status"
    ] == "accepted"
    assert (
        await service.client.post(f"/v1/agency/dossiers/{draft['id']}/start-processing", headers=processing)
    ).json()["status"] == "processing"
    issued = await service.client.post(
        f"/v1/agency/dossiers/{draft['id']}/result", data={"summary": "Kết hôn"}, headers=issuing
    )
    assert issued.status_code == 200, issued.text
    result = issued.json()["results"][0]
    assert result["result_code"] == "KQ.G15.000032"
    assert service.signature.requests[-1].agency_code == AGENCY
    stored_pdf = await service.ctx.files.get(result["file"]["key"])
    assert stored_pdf.startswith(b"%PDF-") and b"signed by result" in stored_pdf
    returned = await service.client.post(f"/v1/agency/dossiers/{draft['id']}/return", headers=desk)
    assert returned.json()["status"] == "returned"

    events = await read_events(topic_prefix + "kho.submission.dossiers", draft["id"], 3)
    assert [t.rsplit(".", 2)[-2] for t, _ in events] == ["submitted", "accepted", "result_returned"]
    submitted = events[0][1]
    assert submitted["dossier_code"] == code
    assert {c["component_code"]: c["source"] for c in submitted["components"]}["XNTTHN"] == "auto_attached"
    issued_events = await read_events(topic_prefix + "kho.submission.issuance", result["result_id"], 1)
    assert issued_events[0][1]["hidden_until_returned"] is True
    assert issued_events[0][1]["file"]["sha256"] == result["file"]["sha256"]


async def read_events(topic: str, key: str, count: int) -> list[tuple[str, dict[str, Any]]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers="127.0.0.1:9092", auto_offset_reset="earliest", group_id=f"reader-{uuid.uuid4().hex}"
    )
    await consumer.start()
    found: list[tuple[str, dict[str, Any]]] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < count:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        if record.key == key.encode():
                            found.append((dict(record.headers)["ce_type"].decode(), json.loads(record.value)))
    finally:
        await consumer.stop()
    return found


async def test_certified_copy_takes_the_next_book_number_and_fee(
    service: Running, identity_provider: TestIdentityProvider, topic_prefix: str
) -> None:
    owner = owner_id()
    scan = b"%PDF-1.7\n" + b"1 0 obj << /Type /Page >> endobj\n" * 3 + b"%%EOF\n"
    requested = await service.client.post(
        "/v1/certifications",
        data={"agency_code": AGENCY, "document_name": "Bằng tốt nghiệp", "copies": "2"},
        files={"file": ("bang.pdf", scan, "application/pdf")},
        headers=identity_provider.citizen(owner),
    )
    assert requested.status_code == 201, requested.text
    body = requested.json()
    assert (body["pages"], body["fee_vnd"]) == (3, 10_000)
    certifier = identity_provider.officer(AGENCY, ["certifying"])
    wrong = await service.client.post(
        f"/v1/agency/certifications/{body['id']}/decision",
        json={"approve": True},
        headers=identity_provider.officer(AGENCY, ["front_desk"]),
    )
    assert wrong.status_code == 403
    decided = await service.client.post(
        f"/v1/agency/certifications/{body['id']}/decision", json={"approve": True}, headers=certifier
    )
    assert decided.status_code == 200, decided.text
    cert = decided.json()
    assert cert["status"] == "certified" and cert["certification_number"] >= 1
    assert "Chứng thực bản sao đúng với bản chính" in service.signature.requests[-1].lines[0]
    again = await service.client.post(
        f"/v1/agency/certifications/{body['id']}/decision", json={"approve": True}, headers=certifier
    )
    assert again.status_code == 409
    book = (await service.client.get(f"/v1/agency/certification-book/{cert['book_year']}", headers=certifier)).json()
    assert [e["number"] for e in book] == list(range(1, len(book) + 1))
    assert body["id"] in [e["certification_id"] for e in book]
    (event,) = await read_events(topic_prefix + "kho.submission.issuance", body["id"], 1)
    assert event[1]["certification_number"] == cert["certification_number"] and event[1]["fee_vnd"] == 10_000


async def test_reuse_kpi_from_the_dossiers(service: Running, identity_provider: TestIdentityProvider) -> None:
    # a dossier that uploads the certificate although the vault had one: missed reuse, no reuse
    owner = owner_id()
    service.vault.add(owner, category_code="GXNTTHN")
    service.vault.add(owner, category_code="GXNTTHN")
    draft = await new_draft(service, identity_provider, owner, agency_code="H21.03")
    for code in ("TK", "XNTTHN"):
        assert (await upload(service, identity_provider, owner, draft["id"], code)).status_code == 200
    assert (await submit(service, identity_provider, owner, draft["id"], "kpi")).status_code == 200
    # and one that reuses it
    other = owner_id()
    service.vault.add(other, category_code="GXNTTHN")
    draft2 = await new_draft(service, identity_provider, other, agency_code="H21.03")
    assert (await upload(service, identity_provider, other, draft2["id"], "TK")).status_code == 200
    assert (await submit(service, identity_provider, other, draft2["id"], "kpi")).status_code == 200

    today = service.ctx.settings.local_today().isoformat()
    officer = identity_provider.officer("H21.03", ["front_desk"])
    report = await service.client.get("/v1/kpi/reuse", params={"from": today, "to": today}, headers=officer)
    assert report.status_code == 200, report.text
    total = report.json()["total"]
    assert total["dossiers"] == 2
    assert total["reuse"] == {"numerator": 1, "denominator": 2, "value": 0.5}
    assert total["missed_reuse_components"] == 1 and total["meets_target"] is False
    csv_text = (
        await service.client.get("/v1/kpi/reuse.csv", params={"from": today, "to": today}, headers=officer)
    ).text
    assert "H21.03,2,0.0000,0.0000,0.5000,0.5000" in csv_text
    citizen = await service.client.get(
        "/v1/kpi/reuse", params={"from": today, "to": today}, headers=identity_provider.citizen(owner)
    )
    assert citizen.status_code == 403
    other_agency = await service.client.get(
        "/v1/kpi/reuse", params={"from": today, "to": today, "agency_code": AGENCY}, headers=officer
    )
    assert other_agency.status_code == 403
