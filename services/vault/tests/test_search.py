"""Listing and searching a vault by the six fields, with filters, pages of 20, the total and a stable order."""

from __future__ import annotations

from typing import Any

import pytest
from helpers_vault import add, citizen_id
from vault_pdfs import unique_pdf

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def searchable(vault: Any) -> dict[str, Any]:
    owner = citizen_id()
    rows = [
        dict(name="Giấy khai sinh của Nguyễn Văn An", category_code="GKS", decision_number="15/QĐ-UBND",
             summary="Đăng ký khai sinh cho con", issue_date="2024-02-02", document_type="issued_result",
             document_number="02022024"),
        dict(name="Giấy chứng nhận kết hôn", category_code="GCNKH", decision_number="88/QĐ-TP",
             summary="Kết hôn tại UBND xã Phước Lộc", issue_date="2023-05-10", issuing_agency_code="H08.02"),
        dict(name="Thẻ căn cước công dân", category_code="CCCD", summary="Căn cước gắn chip",
             issue_date="2021-07-01"),
        dict(name="Phiếu lý lịch tư pháp số 1", category_code="LLTP1", summary="Lý lịch tư pháp",
             issue_date="2024-06-15"),
    ]  # fmt: skip
    docs = []
    for row in rows:
        response = await add(vault, owner, unique_pdf(), **row)
        assert response.status_code == 202, response.text
        docs.append(response.json())
    return {"owner": owner, "docs": docs}


async def search(vault: Any, owner: str, **params: Any) -> dict[str, Any]:
    response = await vault.client.get("/v1/documents", params=params, headers=vault.idp.citizen(owner))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def names(body: dict[str, Any]) -> list[str]:
    return [i["name"] for i in body["items"]]


async def test_search_is_case_and_diacritics_insensitive_with_whole_words_and_prefixes(
    vault: Any, searchable: dict[str, Any]
) -> None:
    owner = searchable["owner"]
    assert names(await search(vault, owner, name="giay khai sinh")) == ["Giấy khai sinh của Nguyễn Văn An"]
    assert names(await search(vault, owner, name="GIẤY KHAI")) == ["Giấy khai sinh của Nguyễn Văn An"]
    assert names(await search(vault, owner, name="can cuoc")) == ["Thẻ căn cước công dân"]
    assert names(await search(vault, owner, name="khai s")) == ["Giấy khai sinh của Nguyễn Văn An"]  # prefix
    assert (await search(vault, owner, name="hai sinh"))["total"] == 0  # not inside a word
    assert names(await search(vault, owner, summary="phuoc loc")) == ["Giấy chứng nhận kết hôn"]
    assert names(await search(vault, owner, decision_number="88/QĐ")) == ["Giấy chứng nhận kết hôn"]
    assert names(await search(vault, owner, decision_number="15/qd-ubnd")) == ["Giấy khai sinh của Nguyễn Văn An"]
    assert (await search(vault, owner, owner_name="nguyen van an"))["total"] == 4
    assert (await search(vault, owner, owner_name="tran thi"))["total"] == 0
    assert (await search(vault, owner, identity_number=owner[:6]))["total"] == 4
    assert names(await search(vault, owner, q="ly lich")) == ["Phiếu lý lịch tư pháp số 1"]


async def test_search_by_document_code(vault: Any, searchable: dict[str, Any]) -> None:
    owner = searchable["owner"]
    birth = searchable["docs"][0]
    assert birth["document_code"] == f"{owner}.KQ.G15.000031.02022024"
    assert names(await search(vault, owner, code=f"{owner}.KQ.G15")) == ["Giấy khai sinh của Nguyễn Văn An"]
    assert names(await search(vault, owner, code=birth["document_code"].lower())) == [birth["name"]]
    assert (await search(vault, owner, code="KQ.G02"))["total"] == 0


async def test_filters_and_combined_criteria(vault: Any, searchable: dict[str, Any]) -> None:
    owner = searchable["owner"]
    assert names(await search(vault, owner, type="issued_result")) == ["Giấy khai sinh của Nguyễn Văn An"]
    assert names(await search(vault, owner, category="CCCD")) == ["Thẻ căn cước công dân"]
    assert names(await search(vault, owner, issuer="H08.02")) == ["Giấy chứng nhận kết hôn"]
    assert (await search(vault, owner, status="pending_verification"))["total"] == 4
    assert (await search(vault, owner, status="active"))["total"] == 0
    between = await search(vault, owner, **{"from": "2024-01-01", "to": "2024-12-31"})
    assert sorted(names(between)) == ["Giấy khai sinh của Nguyễn Văn An", "Phiếu lý lịch tư pháp số 1"]
    assert (await search(vault, owner, name="giay", category="GCNKH"))["total"] == 1


async def test_pages_of_twenty_with_total_and_stable_order(vault: Any) -> None:
    owner = citizen_id()
    for i in range(23):
        assert (await add(vault, owner, unique_pdf(), name=f"Tài liệu số {i}")).status_code == 202
    first = await search(vault, owner)
    second = await search(vault, owner, page=2)
    assert first["total"] == 23 and first["page_size"] == 20 and first["pages"] == 2
    assert len(first["items"]) == 20 and len(second["items"]) == 3
    ids = [i["document_id"] for i in first["items"] + second["items"]]
    assert len(set(ids)) == 23
    again = await search(vault, owner)
    assert [i["document_id"] for i in again["items"]] == ids[:20]
    created = [i["created_at"] for i in first["items"]]
    assert created == sorted(created, reverse=True)


async def test_nobody_else_can_list_a_vault(vault: Any, searchable: dict[str, Any]) -> None:
    owner = searchable["owner"]
    stranger = await vault.client.get(
        "/v1/documents", params={"owner_id": owner}, headers=vault.idp.citizen(citizen_id())
    )
    assert stranger.status_code == 404
    officer = vault.idp.officer("H99.01", ["front_desk"])
    response = await vault.client.get("/v1/documents", params={"owner_id": owner}, headers=officer)
    assert response.status_code == 200 and response.json()["total"] == 0
