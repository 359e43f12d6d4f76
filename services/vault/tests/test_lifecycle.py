"""Replacing a wrong file, hiding, deleting and restoring, downloading (with the SHA-256 check and presigned
URLs) and the access log."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from helpers_vault import add, add_active, citizen_id, verify, view
from vault_pdfs import unique_pdf

pytestmark = pytest.mark.integration


async def test_replacing_a_file_keeps_the_old_version_readable(vault: Any) -> None:
    owner = citizen_id()
    old_pdf, new_pdf = unique_pdf(), unique_pdf(3)
    doc = await add_active(vault, owner, old_pdf)
    headers = vault.idp.citizen(owner)
    response = await vault.client.put(
        f"/v1/documents/{doc['document_id']}/file",
        files={"file": ("dung.pdf", new_pdf, "application/pdf")},
        data={"reason": "Tải nhầm tệp"},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    pending = response.json()
    assert pending["status"] == "active" and pending["pending_version"] == 2 and pending["current_version"] == 1
    again = await vault.client.put(
        f"/v1/documents/{doc['document_id']}/file",
        files={"file": ("x.pdf", unique_pdf(), "application/pdf")},
        headers=headers,
    )
    assert again.status_code == 409  # one replacement at a time

    done = await verify(vault, owner, pending, version=2)
    assert done["current_version"] == 2 and done["pending_version"] is None and done["file"]["pages"] == 3
    [replaced] = await vault.events(1, of_type="vn.gov.kho.vault.document.replaced.v1", key=doc["document_id"])
    assert replaced.version == 2 and replaced.previous_version == 1 and replaced.reason == "Tải nhầm tệp"

    current = await vault.client.get(f"/v1/documents/{doc['document_id']}/content", headers=headers)
    first = await vault.client.get(f"/v1/documents/{doc['document_id']}/content?version=1", headers=headers)
    assert current.content == new_pdf and first.content == old_pdf
    keys = [v["key"] for v in (await vault.deps.store.read(owner))["documents"][0]["versions"]]
    assert len(set(keys)) == 2  # never overwritten


async def test_delete_is_soft_and_restorable_and_agency_documents_can_only_be_hidden(vault: Any) -> None:
    owner = citizen_id()
    doc = (await add(vault, owner, unique_pdf())).json()
    headers = vault.idp.citizen(owner)
    deleted = await vault.client.delete(f"/v1/documents/{doc['document_id']}", headers=headers)
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
    assert deleted.json()["restorable_until"]
    listing = (await vault.client.get("/v1/documents", headers=headers)).json()
    assert listing["total"] == 0
    trash = (await vault.client.get("/v1/documents?status=deleted", headers=headers)).json()
    assert trash["total"] == 1
    restored = await vault.client.post(f"/v1/documents/{doc['document_id']}/restore", headers=headers)
    assert restored.status_code == 200 and restored.json()["status"] == "pending_verification"
    assert (await vault.client.get("/v1/documents", headers=headers)).json()["total"] == 1

    hidden = await vault.client.patch(f"/v1/documents/{doc['document_id']}", json={"visible": False}, headers=headers)
    assert hidden.status_code == 200 and hidden.json()["visible"] is False
    assert (await vault.client.get("/v1/documents", headers=headers)).json()["total"] == 0
    assert (await vault.client.get("/v1/documents?include_hidden=true", headers=headers)).json()["total"] == 1

    other = vault.idp.citizen(citizen_id())
    assert (await vault.client.delete(f"/v1/documents/{doc['document_id']}", headers=other)).status_code == 404
    assert (
        await vault.client.patch(f"/v1/documents/{doc['document_id']}", json={"visible": True}, headers=other)
    ).status_code == 404


async def test_restore_after_the_period_is_refused_and_the_files_are_purged(vault: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from kho_vault.entrypoints.jobs import purge_expired

    owner = citizen_id()
    doc = (await add(vault, owner, unique_pdf())).json()
    headers = vault.idp.citizen(owner)
    await vault.client.delete(f"/v1/documents/{doc['document_id']}", headers=headers)
    past = datetime.now(UTC) - timedelta(seconds=1)
    async with vault.deps.store.change(owner) as v:  # the restore period ends now
        v.find(doc["document_id"])["restorable_until"] = past
        v.mark_changed()
    await vault.deps.purges.schedule(doc["document_id"], owner, past)
    assert await purge_expired(vault.deps) >= 1
    response = await vault.client.post(f"/v1/documents/{doc['document_id']}/restore", headers=headers)
    assert response.status_code == 410
    content = await vault.client.get(f"/v1/documents/{doc['document_id']}/content", headers=headers)
    assert content.status_code == 503


async def test_download_checks_the_sha256_and_every_access_is_logged(vault: Any) -> None:
    owner = citizen_id()
    pdf = unique_pdf()
    doc = await add_active(vault, owner, pdf)
    headers = vault.idp.citizen(owner)
    content = await vault.client.get(f"/v1/documents/{doc['document_id']}/content", headers=headers)
    assert content.status_code == 200 and content.content == pdf
    assert content.headers["x-content-sha256"] == doc["file"]["sha256"]

    link = await vault.client.get(f"/v1/documents/{doc['document_id']}/download-url", headers=headers)
    assert link.status_code == 200
    async with httpx.AsyncClient() as plain:
        fetched = await plain.get(link.json()["url"])
    assert fetched.status_code == 200 and fetched.content == pdf

    accesses = (await vault.client.get(f"/v1/documents/{doc['document_id']}/accesses", headers=headers)).json()
    actions = [a["action"] for a in accesses["items"]]
    assert actions[:2] == ["download_url", "download"] and "view" in actions
    assert all(a["subject"] == f"citizen-{owner}" for a in accesses["items"])

    # the stored file is tampered with: it is not served
    import io

    key = (await vault.deps.store.read(owner))["documents"][0]["versions"][0]["key"]
    tampered = pdf[:100] + bytes([pdf[100] ^ 1]) + pdf[101:]
    vault.runtime.s3.put_object(vault.deps.objects.bucket, key, io.BytesIO(tampered), len(tampered))
    broken = await vault.client.get(f"/v1/documents/{doc['document_id']}/content", headers=headers)
    assert broken.status_code == 502 and broken.json()["title"] == "integrity_failure"


async def test_others_get_404_for_every_read(vault: Any) -> None:
    owner = citizen_id()
    doc = (await add(vault, owner, unique_pdf())).json()
    for headers in (vault.idp.citizen(citizen_id()), vault.idp.officer("H08.02", ["front_desk"])):
        for path in ("", "/content", "/download-url", "/accesses"):
            response = await vault.client.get(f"/v1/documents/{doc['document_id']}{path}", headers=headers)
            assert response.status_code == 404, (path, response.text)
    operator = vault.idp.headers(vault.idp.token(subject="op", actor="operator"))
    assert (await vault.client.get(f"/v1/documents/{doc['document_id']}", headers=operator)).status_code == 404
    assert (await vault.client.get("/v1/documents/..%2F..%2Fetc", headers=vault.idp.citizen(owner))).status_code == 404
    assert (await view(vault, owner, doc["document_id"]))["document_id"] == doc["document_id"]


async def test_an_organization_vault_is_open_to_its_representatives(vault: Any) -> None:
    tax_code = "0312345678"
    rep = citizen_id()
    rep_headers = vault.idp.citizen(rep, represents=[tax_code])
    response = await add(vault, tax_code, unique_pdf(), owner_id=tax_code, headers=rep_headers)
    assert response.status_code == 202, response.text
    doc = response.json()
    assert doc["owner_kind"] == "organization" and doc["document_code"].startswith(f"{tax_code}.GKS.")
    listing = await vault.client.get("/v1/documents", params={"owner_id": tax_code}, headers=rep_headers)
    assert listing.json()["total"] >= 1
    assert (
        await vault.client.get(f"/v1/documents/{doc['document_id']}", headers=vault.idp.citizen(rep))
    ).status_code == 404
