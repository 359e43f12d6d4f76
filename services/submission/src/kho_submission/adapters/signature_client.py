"""The signature service's HTTP API, behind a port: a PDF signed with an agency's key and a visible stamp."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from kho_submission.domain.errors import Invalid, Unavailable


@dataclass(frozen=True)
class SignRequest:
    pdf: bytes
    profile: str
    agency_code: str
    reason: str
    location: str | None = None
    heading: str = ""
    lines: tuple[str, ...] = field(default_factory=tuple)
    filename: str = "document.pdf"
    level: str | None = None


class SignaturePort(Protocol):
    async def sign(self, token: str, request: SignRequest) -> bytes: ...


class HttpSignatureClient:
    def __init__(self, base_url: str, timeout: float = 60.0, client: httpx.AsyncClient | None = None) -> None:
        self._client = client or httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def sign(self, token: str, request: SignRequest) -> bytes:
        data = {
            "profile": request.profile,
            "agency_code": request.agency_code,
            "reason": request.reason,
            "stamp_heading": request.heading,
            "stamp_lines": json.dumps(list(request.lines), ensure_ascii=False),
        }
        if request.location:
            data["location"] = request.location
        if request.level:
            data["level"] = request.level
        try:
            response = await self._client.post(
                "/v1/signatures",
                headers={"Authorization": f"Bearer {token}"},
                data=data,
                files={"file": (request.filename, request.pdf, "application/pdf")},
            )
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"signature service unreachable ({exc})", "Dịch vụ ký số tạm thời không phản hồi"
            ) from exc
        if response.status_code >= 500:
            raise Unavailable(
                f"signature service answered {response.status_code}", "Dịch vụ ký số tạm thời không phản hồi"
            )
        if response.status_code >= 400:
            raise Invalid(
                f"signature refused: {response.text[:300]}", "Không ký số được tài liệu", code="signing_refused"
            )
        return response.content
