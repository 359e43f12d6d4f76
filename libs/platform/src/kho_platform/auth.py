"""Who is calling: a bearer token (OIDC JWT) whose signature, issuer, audience and expiry are verified
against the identity provider's published keys (JWKS).

Claims beyond the standard ones: `actor` (citizen, organization, officer, operator), `identity_number`
(CCCD/CMND of a citizen, tax code of an organization), `name`, `agency_code` and `roles` for officers,
`represents` (tax codes of the organizations a citizen is an authorized representative of).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from kho_platform.errors import ApiError
from kho_platform.settings import PlatformSettings

ALGORITHMS = ["RS256", "PS256", "ES256"]


@dataclass(frozen=True)
class Principal:
    subject: str
    actor: str
    identity_number: str | None = None
    name: str | None = None
    agency_code: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    represents: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_officer(self) -> bool:
        return self.actor == "officer"

    @property
    def is_operator(self) -> bool:
        return self.actor == "operator"

    def owner_ids(self) -> frozenset[str]:
        """The identity numbers whose vault this caller may act on as owner."""
        if self.actor in ("citizen", "organization") and self.identity_number:
            return frozenset({self.identity_number}) | self.represents
        return frozenset()

    def has_role(self, role: str) -> bool:
        return role in self.roles


class TokenVerifier:
    def __init__(self, settings: PlatformSettings, refresh_seconds: float = 600.0) -> None:
        self._settings = settings
        self._keys: KeySet | None = None
        self._loaded_at = 0.0
        self._refresh = refresh_seconds

    async def _keyset(self) -> KeySet:
        if self._keys is None or time.monotonic() - self._loaded_at > self._refresh:
            if self._settings.oidc_jwks_file:
                data = json.loads(await asyncio.to_thread(Path(self._settings.oidc_jwks_file).read_text))
            elif self._settings.oidc_jwks_url:
                async with httpx.AsyncClient(timeout=5.0) as client:
                    response = await client.get(self._settings.oidc_jwks_url)
                    response.raise_for_status()
                    data = response.json()
            else:
                raise ApiError(
                    503,
                    "no_identity_provider",
                    "no identity provider keys are configured",
                    "Hệ thống xác thực chưa sẵn sàng",
                )
            self._keys = KeySet.import_key_set(data)
            self._loaded_at = time.monotonic()
        return self._keys

    async def verify(self, token: str) -> Principal:
        keys = await self._keyset()
        try:
            decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self._settings.oidc_issuer},
                aud={"essential": True, "value": self._settings.oidc_audience},
                exp={"essential": True},
                sub={"essential": True},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise ApiError(
                401, "invalid_token", f"invalid bearer token: {exc}", "Phiên đăng nhập không hợp lệ hoặc đã hết hạn"
            ) from exc
        return principal_from_claims(decoded.claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    actor = str(claims.get("actor", "citizen"))
    if actor not in ("citizen", "organization", "officer", "operator"):
        raise ApiError(401, "invalid_token", f"unknown actor {actor!r}", "Phiên đăng nhập không hợp lệ")
    return Principal(
        subject=str(claims["sub"]),
        actor=actor,
        identity_number=claims.get("identity_number"),
        name=claims.get("name"),
        agency_code=claims.get("agency_code"),
        roles=frozenset(claims.get("roles") or ()),
        represents=frozenset(claims.get("represents") or ()),
    )


async def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401, "unauthenticated", "a bearer token is required", "Bạn cần đăng nhập để thực hiện thao tác này"
        )
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(token.strip())


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
