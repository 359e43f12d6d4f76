"""Bad input gets a clear 4xx and changes nothing (issue 4, "Bad input")."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from helpers_vault import add, citizen_id
from vault_pdfs import encrypted_pdf, make_pdf, unique_pdf

pytestmark = pytest.mark.integration


async def nothing_stored(vault: Any, owner: str) -> None:
    assert await vault.deps.store.read(owner) is None
    intents = [i async for i in vault.runtime.db["object_intents"].find({"owner_id": owner})]
    assert intents == []


@pytest.mark.parametrize(
    ("content", "filename", "fields", "status", "code"),
    [
        (b"Hello, this is plain text pretending to be a PDF", "giay-to.pdf", {}, 415, "not_a_pdf"),
        (b"%PDF-1.7\n garbage that is not a PDF structure at all", "x.pdf", {}, 415, "not_a_pdf"),
        (b"", "empty.pdf", {}, 400, "empty_file"),
        (None, "big.pdf", {}, 413, "file_too_large"),
        ("encrypted", "secret.pdf", {}, 422, "encrypted_pdf"),
        ("ok", "../../etc/passwd.pdf", {}, 400, "bad_file_name"),
        ("ok", "..\\windows\\x.pdf", {}, 400, "bad_file_name"),
        ("ok", "x.pdf", {"owner_id": "12345"}, 422, "invalid_identity_number"),
        ("ok", "x.pdf", {"category_code": "KHONG-CO"}, 422, "unknown_category"),
        ("ok", "x.pdf", {"name": unicodedata.normalize("NFD", "Giấy khai sinh")}, 422, "text_not_nfc"),
        ("ok", "x.pdf", {"summary": unicodedata.normalize("NFD", "Trích yếu")}, 422, "text_not_nfc"),
        ("ok", "x.pdf", {"document_type": "bogus"}, 422, "validation_error"),
        ("ok", "x.pdf", {"issue_date": "2020-02-30"}, 422, "validation_error"),
        ("ok", "x.pdf", {"issue_date": "2024-01-02", "valid_until": "2023-01-01"}, 422, "valid_until_before_issue"),
        ("ok", "x.pdf", {"document_type": "digitized_component"}, 422, "procedure_required"),
    ],
)
async def test_bad_uploads_are_refused_and_change_nothing(
    vault: Any, content: Any, filename: str, fields: dict[str, str], status: int, code: str
) -> None:
    owner = citizen_id()
    if content is None:
        content = make_pdf(1, padding=vault.settings.vault_max_file_bytes)
    elif content == "encrypted":
        content = encrypted_pdf()
    elif content == "ok":
        content = unique_pdf()
    owner_for = fields.get("owner_id", owner)
    response = await add(vault, owner, content, filename=filename, headers=vault.idp.citizen(owner_for), **fields)
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["title"] == code
    assert problem["detail"] and problem["detail_vi"]
    await nothing_stored(vault, owner)


async def test_adding_to_someone_elses_vault_is_refused(vault: Any) -> None:
    owner, other = citizen_id(), citizen_id()
    response = await add(vault, owner, unique_pdf(), owner_id=other)
    assert response.status_code == 403
    await nothing_stored(vault, other)


async def test_without_a_valid_token_nothing_happens(vault: Any) -> None:
    owner = citizen_id()
    response = await add(vault, owner, unique_pdf(), headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    expired = vault.idp.headers(vault.idp.token(subject="c", actor="citizen", identity_number=owner, expires_in=-60))
    assert (await add(vault, owner, unique_pdf(), headers=expired)).status_code == 401
    await nothing_stored(vault, owner)


@pytest.mark.parametrize(
    "query",
    [
        "owner_id[$ne]=1",
        "q[$regex]=.*",
        'name={"$gt": ""}',
        "q=$where",
        "status[$in]=active",
        "owner_id=%7B%22%24ne%22%3A1%7D",
        "unknown=1",
    ],
)
async def test_query_strings_with_operators_are_refused(vault: Any, query: str) -> None:
    owner = citizen_id()
    response = await vault.client.get(f"/v1/documents?{query}", headers=vault.idp.citizen(owner))
    assert response.status_code == 400, response.text
    assert response.json()["title"] in ("operator_not_allowed", "unknown_parameter")


async def test_nfd_search_text_is_refused(vault: Any) -> None:
    owner = citizen_id()
    nfd = unicodedata.normalize("NFD", "giấy")
    response = await vault.client.get("/v1/documents", params={"q": nfd}, headers=vault.idp.citizen(owner))
    assert response.status_code == 422 and response.json()["title"] == "text_not_nfc"


async def test_candidates_body_with_operators_or_bad_identity_is_refused(vault: Any) -> None:
    owner = citizen_id()
    headers = vault.idp.citizen(owner)
    bad = [
        {"owner_id": {"$ne": ""}, "on": "2025-01-01", "components": [{"component_code": "A"}]},
        {"owner_id": "12ab", "on": "2025-01-01", "components": [{"component_code": "A"}]},
        {"owner_id": owner, "on": "2025-01-01", "components": []},
        {"owner_id": owner, "on": "2025-01-01", "components": [{"component_code": "A", "$where": "1"}]},
    ]
    for body in bad:
        response = await vault.client.post("/v1/candidates", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
