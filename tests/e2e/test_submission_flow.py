"""The submission service with the real vault and signature service, as processes on the real servers:
a citizen's dossier with an automatically attached result, a pick among suggestions and an upload; the
front desk reusing what the vault holds and digitizing paper; a signed result issued into the owner's vault
and returned; an electronically certified copy; the reuse KPI computed from these dossiers."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from kho_platform.processes import ServiceProcess
from kho_platform.testing import TestIdentityProvider

pytestmark = pytest.mark.e2e

testing = pytest.importorskip("kho_signature.testing", reason="the signature service's test PKI is not available")
pki_http = pytest.importorskip("kho_signature.testing.http", reason="the signature service's test PKI server")
pytest.importorskip("kho_vault.app", reason="the vault service is not available")

AGENCY = "H21.01"  # UBND xã Tuy Phước in the built-in catalogue
MARRIAGE, MARITAL_STATUS = "1.000894", "1.004873"


def wait(what: str, probe: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.3)
    raise TimeoutError(f"{what}: {last}")


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


class Flow:
    def __init__(self, idp: TestIdentityProvider, vault: ServiceProcess, submission: ServiceProcess) -> None:
        self.idp, self.vault, self.sub = idp, vault, submission

    def vault_add(self, owner: str, pdf: bytes, document_type: str, category: str, name: str) -> str:
        added = ok(
            httpx.post(
                f"{self.vault.url}/v1/documents",
                data={"document_type": document_type, "category_code": category, "name": name},
                files={"file": ("giay-to.pdf", pdf, "application/pdf")},
                headers=self.idp.citizen(owner),
                timeout=30,
            ),
            202,
        )
        document_id = str(added["document_id"])
        wait(f"{document_id} active", lambda: self.vault_doc(owner, document_id).get("status") == "active")
        return document_id

    def vault_doc(self, owner: str, document_id: str) -> dict[str, Any]:
        response = httpx.get(
            f"{self.vault.url}/v1/documents/{document_id}", headers=self.idp.citizen(owner), timeout=10
        )
        return response.json() if response.status_code == 200 else {}

    def vault_list(self, owner: str) -> list[dict[str, Any]]:
        response = httpx.get(
            f"{self.vault.url}/v1/documents", params={"owner_id": owner}, headers=self.idp.citizen(owner), timeout=10
        )
        items: list[dict[str, Any]] = ok(response)["items"]
        return items

    def post(self, path: str, headers: dict[str, str], status: int = 200, **kwargs: Any) -> dict[str, Any]:
        return ok(httpx.post(f"{self.sub.url}{path}", headers=headers, timeout=60, **kwargs), status)

    def put(self, path: str, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        return ok(httpx.put(f"{self.sub.url}{path}", headers=headers, timeout=60, **kwargs))

    def get(self, path: str, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        return ok(httpx.get(f"{self.sub.url}{path}", headers=headers, timeout=60, **kwargs))

    def submit(self, owner: str, dossier_id: str, key: str) -> dict[str, Any]:
        return self.post(f"/v1/dossiers/{dossier_id}/submit", {**self.idp.citizen(owner), "Idempotency-Key": key})

    def officer_call(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        """The vault learns that the agency received the owner's dossier from DossierSubmitted: retry until then."""

        def attempt() -> dict[str, Any] | None:
            response = httpx.request(method, f"{self.sub.url}{path}", headers=headers, timeout=60, **kwargs)
            if response.status_code in (403, 404) and "vault" in response.text:
                return None
            return ok(response)

        result: dict[str, Any] = wait(f"{method} {path}", attempt)
        return result


def component(view: dict[str, Any], code: str) -> dict[str, Any]:
    return next(c for c in view["components"] if c["code"] == code)


def test_submission_flow_across_vault_and_signature(
    start_service: Callable[..., ServiceProcess],
    identity_provider: TestIdentityProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    idp = identity_provider
    pki = testing.build_test_pki(Path(tmp_path_factory.mktemp("pki")))
    server = pki_http.PkiServer(pki).start()
    keys = tmp_path_factory.mktemp("keys")
    (keys / "agency.p12").write_bytes(pki.pkcs12("gov-agency", b"thu-nghiem"))
    (keys / "agency.pass").write_text("thu-nghiem")
    profile = {"kind": "pkcs12", "path": str(keys / "agency.p12"), "password_file": str(keys / "agency.pass")}
    try:
        signature = start_service(
            "signature",
            **pki.service_env(),
            KHO_SIGNATURE_REVOCATION_DIR=str(tmp_path_factory.mktemp("revocation")),
            KHO_SIGNATURE_URL_REWRITES=server.rewrites,
            KHO_SIGNATURE_TSA_URL=server.tsa_url,
            KHO_SIGNATURE_KEYS=json.dumps({"result": profile, "certified-copy": profile}),
        )
        vault = start_service("vault")
        submission = start_service(
            "submission", KHO_VAULT_URL=vault.url, KHO_SIGNATURE_URL=signature.url, KHO_SIGNATURE_LEVEL="B-T"
        )
        flow = Flow(idp, vault, submission)
        run_flow(flow, pki)
    finally:
        server.stop()


def run_flow(flow: Flow, pki: Any) -> None:
    idp = flow.idp
    a, b = f"05209{uuid.uuid4().int % 10**7:07d}", f"05209{uuid.uuid4().int % 10**7:07d}"
    government = testing.sign_as(pki, "gov-agency", testing.make_pdf(1))
    certificate = flow.vault_add(a, government, "issued_result", "GXNTTHN", "Giấy xác nhận tình trạng hôn nhân")

    def own() -> bytes:  # an owner's upload, signed with a public CA (each a distinct file)
        return bytes(testing.sign_as(pki, "pub-company", testing.make_pdf(1)))

    cards = [flow.vault_add(a, own(), "own_upload", "CCCD", f"Thẻ căn cước {i}") for i in (1, 2)]
    wait("catalogue seeded", lambda: flow.get("/v1/procedures", idp.citizen(a)))

    # 1. citizen A: one fitting certificate is attached, two identity cards are suggested, one is picked
    draft = flow.post("/v1/dossiers", idp.citizen(a), 201, json={"procedure_code": MARRIAGE, "agency_code": AGENCY})
    assert component(draft, "XNTTHN")["source"] == "auto_attached"
    assert component(draft, "XNTTHN")["document"]["document_id"] == certificate
    suggested = component(draft["review"], "CCCD")
    assert suggested["state"] == "choose" and {s["document_id"] for s in suggested["suggestions"]} == set(cards)
    assert all(s["reasons"] for s in suggested["suggestions"])
    review = flow.put(f"/v1/dossiers/{draft['id']}/components/CCCD", idp.citizen(a), json={"document_id": cards[0]})
    assert component(review, "CCCD")["state"] == "reused" and review["can_submit"]
    first = flow.submit(a, draft["id"], "a-1")
    assert flow.submit(a, draft["id"], "a-1")["code"] == first["code"]
    assert (
        httpx.post(
            f"{flow.sub.url}/v1/dossiers/{draft['id']}/submit", headers={**idp.citizen(a), "Idempotency-Key": "a-2"}
        ).status_code
        == 409
    )

    # 2. citizen B: nothing in the vault; the certificate is uploaded into B's vault through the dossier
    draft_b = flow.post("/v1/dossiers", idp.citizen(b), 201, json={"procedure_code": MARRIAGE, "agency_code": AGENCY})
    assert component(draft_b["review"], "XNTTHN")["state"] == "missing"
    uploaded = flow.post(
        f"/v1/dossiers/{draft_b['id']}/components/XNTTHN/upload",
        idp.citizen(b),
        files={"file": ("xac-nhan.pdf", own(), "application/pdf")},
    )
    assert component(uploaded, "XNTTHN")["state"] == "uploaded"
    new_id = component(uploaded, "XNTTHN")["document"]["document_id"]
    assert flow.vault_doc(b, new_id)["owner_id"] == b
    second = flow.submit(b, draft_b["id"], "b-1")
    prefix, number = first["code"].rsplit("-", 1)
    assert second["code"] == f"{prefix}-{int(number) + 1:04d}"  # gap-free per agency and day

    # 3. front desk: B's identity card reached the vault after submitting; the officer reuses it
    card_b = flow.vault_add(b, own(), "own_upload", "CCCD", "Thẻ căn cước")
    desk = idp.officer(AGENCY, ["front_desk"])
    seen = flow.officer_call("GET", f"/v1/agency/dossiers/{draft_b['id']}", desk)
    cccd = component(seen, "CCCD")
    assert cccd["reuse_before_digitizing"] and cccd["vault_candidates"][0]["document_id"] == card_b
    reused = flow.put(f"/v1/agency/dossiers/{draft_b['id']}/components/CCCD", desk, json={"document_id": card_b})
    assert component(reused, "CCCD")["flags"]["reused"]

    # a paper divorce decision of B's marital-status request is digitized into B's vault
    draft_c = flow.post(
        "/v1/dossiers", idp.citizen(b), 201, json={"procedure_code": MARITAL_STATUS, "agency_code": AGENCY}
    )
    assert component(draft_c, "CCCD")["document"]["document_id"] == card_b  # B's card is in the vault now
    flow.submit(b, draft_c["id"], "c-1")
    digitized = flow.officer_call(
        "POST",
        f"/v1/agency/dossiers/{draft_c['id']}/components/LYHON/digitize",
        desk,
        files={"file": ("quyet-dinh.pdf", testing.sign_as(pki, "gov-agency", testing.make_pdf(2)), "application/pdf")},
    )
    scanned = component(digitized, "LYHON")
    assert scanned["source"] == "digitized" and scanned["flags"]["digitization_state"] == 1
    assert flow.vault_doc(b, scanned["document"]["document_id"])["document_type"] == "digitized_component"

    # 4. B's marriage: accepted, processed, a signed result issued into B's vault (hidden), then returned
    flow.post(f"/v1/agency/dossiers/{draft_b['id']}/accept", desk)
    flow.post(f"/v1/agency/dossiers/{draft_b['id']}/start-processing", idp.officer(AGENCY, ["processing"]))
    issued = flow.post(f"/v1/agency/dossiers/{draft_b['id']}/result", idp.officer(AGENCY, ["issuing"]))
    result_id = issued["results"][0]["result_id"]

    def in_vault() -> dict[str, Any]:
        return flow.vault_doc(b, result_id)

    assert not [d for d in flow.vault_list(b) if d["document_id"] == result_id]  # hidden until returned
    flow.post(f"/v1/agency/dossiers/{draft_b['id']}/return", desk)
    stored = wait(
        "result visible in the vault", lambda: [d for d in flow.vault_list(b) if d["document_id"] == result_id]
    )
    assert stored[0]["result_code"] == "KQ.G15.000032" and stored[0]["document_type"] == "issued_result"
    assert in_vault()["status"] == "active"

    # 5. certified copy for A: the next book number, the fee, into A's vault
    request = flow.post(
        "/v1/certifications",
        idp.citizen(a),
        201,
        data={"agency_code": AGENCY, "document_name": "Bằng tốt nghiệp trung học phổ thông"},
        files={"file": ("bang.pdf", testing.make_pdf(3), "application/pdf")},
    )
    assert request["fee_vnd"] == 5_000
    certified = flow.post(
        f"/v1/agency/certifications/{request['id']}/decision",
        idp.officer(AGENCY, ["certifying"]),
        json={"approve": True},
    )
    assert certified["certification_number"] >= 1
    copies = wait(
        "certified copy in A's vault",
        lambda: [d for d in flow.vault_list(a) if d["document_id"] == request["id"]],
    )
    assert copies[0]["document_type"] == "certified_copy"

    # 6. the KPI: A reused (attached + picked), B reused (the front desk's pick), C (card attached, paper scanned)
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 3600))
    report = flow.get("/v1/kpi/reuse", desk, params={"from": today, "to": today})
    total = report["total"]
    assert total["dossiers"] == 3
    assert total["reuse"] == {"numerator": 3, "denominator": 3, "value": 1.0}
    assert total["meets_target"] is True
    # components: A 2 of 3 reused (its form is filled online), B 1 of 3 (+ its own upload), C 1 of 3 (+ a scan)
    assert total["component_reuse"] == {"numerator": 4, "denominator": 9, "value": 0.4444}
    assert total["electronic_results"]["numerator"] == 1
