"""The development identity provider (deploy/local/idp) signs in its made-up accounts, and the services accept
its tokens exactly as they would the national portal's: signature, issuer, audience, expiry and claims."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from kho_platform.processes import ServiceProcess
from kho_platform.settings import DEV_OIDC_ISSUER

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def dev_token_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_token", ROOT / "scripts/dev_token.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_development_account_signs_in_and_its_token_opens_the_inbox(
    start_service: Callable[..., ServiceProcess],
) -> None:
    dev = dev_token_module()
    notify = start_service(
        "notify",
        KHO_OIDC_ISSUER=DEV_OIDC_ISSUER,
        KHO_OIDC_JWKS_URL=f"{DEV_OIDC_ISSUER}/jwks",
        KHO_OIDC_JWKS_FILE="",
        KHO_OIDC_AUDIENCE="urn:kho-du-lieu",
    )
    token = dev.dev_token("citizen")
    response = httpx.get(f"{notify.url}/v1/inbox", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text

    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = httpx.get(f"{notify.url}/v1/inbox", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.json()["detail_vi"]

    with pytest.raises(RuntimeError, match="sign-in refused"):
        dev.dev_token("nobody-of-that-name")
