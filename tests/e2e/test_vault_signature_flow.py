"""The vault and the signature service as processes on the real servers: a result signed by a Ban Cơ yếu-like
test CA becomes active; a "result" signed by a public CA is rejected with a Vietnamese reason (and passes as
the owner's own upload, whose policy is broader)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from kho_platform.processes import ServiceProcess
from kho_platform.testing import TestIdentityProvider

pytestmark = pytest.mark.e2e

testing = pytest.importorskip("kho_signature.testing", reason="the signature service's test PKI is not available")
pytest.importorskip("kho_signature.app", reason="the signature service is not available")

OWNER = "052090000777"


def add(vault: ServiceProcess, idp: TestIdentityProvider, pdf: bytes, document_type: str) -> dict[str, Any]:
    response = httpx.post(
        f"{vault.url}/v1/documents",
        data={"document_type": document_type, "category_code": "GKS", "name": "Giấy khai sinh"},
        files={"file": ("giay-khai-sinh.pdf", pdf, "application/pdf")},
        headers=idp.citizen(OWNER),
        timeout=30,
    )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def settled(vault: ServiceProcess, idp: TestIdentityProvider, document_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(f"{vault.url}/v1/documents/{document_id}", headers=idp.citizen(OWNER), timeout=10)
        body: dict[str, Any] = response.json()
        if body["status"] != "pending_verification":
            return body
        if time.monotonic() > deadline:
            raise TimeoutError(f"{document_id} still pending")
        time.sleep(0.1)


def test_government_signed_result_is_stored_and_public_ca_result_is_rejected(
    start_service: Callable[..., ServiceProcess],
    identity_provider: TestIdentityProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    pki = testing.build_test_pki(Path(tmp_path_factory.mktemp("pki")))
    revocation = tmp_path_factory.mktemp("revocation")
    start_service("signature", **pki.service_env(), KHO_SIGNATURE_REVOCATION_DIR=str(revocation))
    vault = start_service("vault")

    government = testing.sign_as(pki, "gov-agency", testing.make_pdf(2))
    public = testing.sign_as(pki, "pub-company", testing.make_pdf(1))

    added = add(vault, identity_provider, government, "issued_result")
    stored = settled(vault, identity_provider, added["document_id"])
    assert stored["status"] == "active", stored
    assert stored["verdict"]["indication"] == "TOTAL_PASSED"

    rejected = settled(vault, identity_provider, add(vault, identity_provider, public, "issued_result")["document_id"])
    assert rejected["status"] == "rejected", rejected
    assert rejected["status_reason_vi"] and rejected["verdict"]["indication"] != "TOTAL_PASSED"

    own = settled(vault, identity_provider, add(vault, identity_provider, public, "own_upload")["document_id"])
    assert own["status"] == "active", own
