"""Shared steps of the vault's integration tests."""

from __future__ import annotations

import random
import uuid
from typing import Any

from kho_contracts.common import Indication
from kho_contracts.events import SignatureVerified


def citizen_id() -> str:
    return f"0520{random.randint(10**7, 10**8 - 1)}"


async def add(
    vault: Any, owner: str, pdf: bytes, *, headers: Any = None, filename: str = "tep.pdf", **fields: Any
) -> Any:
    data = {"document_type": "own_upload", "category_code": "GKS", "name": "Giấy khai sinh", **fields}
    return await vault.client.post(
        "/v1/documents",
        data=data,
        files={"file": (filename, pdf, "application/pdf")},
        headers=headers or vault.idp.citizen(owner, name="Nguyễn Văn An"),
    )


async def view(vault: Any, owner: str, document_id: str) -> dict[str, Any]:
    response = await vault.client.get(f"/v1/documents/{document_id}", headers=vault.idp.citizen(owner))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def verify(vault: Any, owner: str, doc: dict[str, Any], version: int | None = None) -> dict[str, Any]:
    """Publishes a passed verdict for a version and waits until the vault applied it."""
    number = version or doc["current_version"]
    v = next(x for x in doc["versions"] if x["version"] == number)
    await vault.publish(
        SignatureVerified(
            validation_id=str(uuid.uuid4()),
            document_id=doc["document_id"],
            version=number,
            sha256=v["sha256"],
            policy=doc["policy"] or "any-qualified",
            indication=Indication.TOTAL_PASSED,
            message_vi="Chữ ký số hợp lệ",
            message_en="valid",
        )
    )

    async def applied() -> Any:
        found = await view(vault, owner, doc["document_id"])
        done = next(x for x in found["versions"] if x["version"] == number)["stage"] == "stored"
        return found if done else None

    result: dict[str, Any] = await vault.wait_for(applied)
    return result


async def add_active(vault: Any, owner: str, pdf: bytes, **fields: Any) -> dict[str, Any]:
    response = await add(vault, owner, pdf, **fields)
    assert response.status_code == 202, response.text
    return await verify(vault, owner, response.json())
