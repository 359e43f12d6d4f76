"""Signs in to the local development identity provider as one of its made-up accounts and prints an access
token for the services (deploy/local/idp/accounts.json lists them):

    uv run python scripts/dev_token.py citizen
    curl -H "Authorization: Bearer $(uv run python scripts/dev_token.py citizen)" http://127.0.0.1:8101/v1/documents

It walks the same authorization-code flow with PKCE that the portal walks in a browser.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import sys
from urllib.parse import parse_qs, urljoin, urlparse

import httpx

REDIRECT_URI = "http://127.0.0.1/callback"


def dev_token(account: str, issuer: str = "http://127.0.0.1:8090", audience: str = "urn:kho-du-lieu") -> str:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    with httpx.Client(base_url=issuer, follow_redirects=False, timeout=10) as client:
        response = client.get(
            "/auth",
            params={
                "client_id": "kho-dev",
                "response_type": "code",
                "scope": "openid profile",
                "redirect_uri": REDIRECT_URI,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "resource": audience,
            },
        )
        for _ in range(10):  # login form, then back to /auth, until the redirect with the code
            location = response.headers.get("location", "")
            if location.startswith(REDIRECT_URI):
                query = parse_qs(urlparse(location).query)
                if "code" not in query:
                    raise RuntimeError(f"sign-in refused: {query.get('error_description') or query}")
                break
            if response.status_code not in (302, 303):
                form = re.search(r'action="([^"]+)"', response.text)
                if form is None or "login" not in response.text:
                    raise RuntimeError(f"unexpected page from the identity provider ({response.status_code})")
                response = client.post(form.group(1), data={"login": account, "password": "-"})
                continue
            response = client.get(urljoin(issuer, location))
        else:
            raise RuntimeError("the identity provider did not finish the sign-in")
        token = client.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": REDIRECT_URI,
                "client_id": "kho-dev",
                "code_verifier": verifier,
                "resource": audience,
            },
        )
        token.raise_for_status()
        access_token: str = token.json()["access_token"]
        return access_token


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(dev_token(sys.argv[1], os.environ.get("KHO_OIDC_ISSUER", "http://127.0.0.1:8090")))
