"""The vault's HTTP API, behind a port: candidates for a dossier's components, uploads into an owner's
vault, reading a document. The caller's bearer token is forwarded, so the vault applies its own rules to
the citizen or officer who acts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import httpx

from kho_submission.domain.components import Candidate
from kho_submission.domain.errors import DomainError, Forbidden, Invalid, NotFound, Unavailable


@dataclass(frozen=True)
class ComponentQuery:
    component_code: str
    category_codes: tuple[str, ...]
    result_codes: tuple[str, ...]


@dataclass(frozen=True)
class Upload:
    owner_id: str
    document_type: str
    name: str
    filename: str
    content: bytes
    content_type: str = "application/pdf"
    category_code: str | None = None
    procedure_code: str | None = None
    dossier_id: str | None = None
    component_code: str | None = None


@dataclass(frozen=True)
class Uploaded:
    document_id: str
    status: str
    document_code: str | None = None


class VaultPort(Protocol):
    async def candidates(
        self, token: str, owner_id: str, on: date, components: list[ComponentQuery]
    ) -> dict[str, list[Candidate]]: ...

    async def upload(self, token: str, upload: Upload) -> Uploaded: ...

    async def document(self, token: str, document_id: str) -> dict[str, Any]: ...


def vault_error(response: httpx.Response, what: str) -> DomainError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    detail = str(body.get("detail") or response.text[:300])
    detail_vi = str(body.get("detail_vi") or "Kho dữ liệu từ chối yêu cầu")
    code = str(body.get("title") or body.get("code") or "vault_refused")
    if response.status_code == 404:
        return NotFound(f"{what}: {detail}", detail_vi, code=code)
    if response.status_code in (401, 403):
        return Forbidden(f"{what}: {detail}", detail_vi, code=code)
    if response.status_code >= 500:
        return Unavailable(f"{what}: vault answered {response.status_code}", "Kho dữ liệu tạm thời không phản hồi")
    return Invalid(f"{what}: {detail}", detail_vi, code=code)


class HttpVaultClient:
    def __init__(self, base_url: str, timeout: float = 10.0, client: httpx.AsyncClient | None = None) -> None:
        self._client = client or httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout, limits=httpx.Limits(max_connections=200)
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _send(self, what: str, method: str, url: str, token: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        except httpx.HTTPError as exc:
            raise Unavailable(f"{what}: vault unreachable ({exc})", "Kho dữ liệu tạm thời không phản hồi") from exc
        if response.status_code >= 400:
            raise vault_error(response, what)
        return response

    async def candidates(
        self, token: str, owner_id: str, on: date, components: list[ComponentQuery]
    ) -> dict[str, list[Candidate]]:
        body = {
            "owner_id": owner_id,
            "on": on.isoformat(),
            "components": [
                {
                    "component_code": c.component_code,
                    "category_codes": list(c.category_codes),
                    "result_codes": list(c.result_codes),
                }
                for c in components
            ],
        }
        response = await self._send("vault candidates", "POST", "/v1/candidates", token, json=body)
        found: dict[str, list[Candidate]] = {c.component_code: [] for c in components}
        for item in response.json().get("components", []):
            found[item["component_code"]] = [Candidate.model_validate(c) for c in item.get("candidates", [])]
        return found

    async def upload(self, token: str, upload: Upload) -> Uploaded:
        fields = {
            "owner_id": upload.owner_id,
            "document_type": upload.document_type,
            "name": upload.name,
            "category_code": upload.category_code,
            "procedure_code": upload.procedure_code,
            "dossier_id": upload.dossier_id,
            "component_code": upload.component_code,
        }
        response = await self._send(
            "vault upload",
            "POST",
            "/v1/documents",
            token,
            data={k: v for k, v in fields.items() if v is not None},
            files={"file": (upload.filename, upload.content, upload.content_type)},
        )
        body = response.json()
        return Uploaded(
            document_id=str(body["document_id"]),
            status=str(body.get("status", "")),
            document_code=body.get("document_code"),
        )

    async def document(self, token: str, document_id: str) -> dict[str, Any]:
        response = await self._send("vault document", "GET", f"/v1/documents/{document_id}", token)
        body: dict[str, Any] = response.json()
        return body
