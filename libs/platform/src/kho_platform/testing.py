"""Support for tests: a local identity provider that publishes its keys as a JWKS file and issues tokens.

Only tests use it; services verify tokens exactly as they verify the real provider's (auth.py).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from joserfc import jwt
from joserfc.jwk import RSAKey


class TestIdentityProvider:
    __test__ = False  # not a test class

    def __init__(
        self, directory: Path, issuer: str = "https://id.test.kho.local", audience: str = "urn:kho-du-lieu"
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self._key = RSAKey.generate_key(2048, parameters={"kid": uuid.uuid4().hex, "use": "sig", "alg": "RS256"})
        directory.mkdir(parents=True, exist_ok=True)
        self.jwks_file = directory / "jwks.json"
        self.jwks_file.write_text(json.dumps({"keys": [self._key.as_dict(private=False)]}))

    def token(
        self,
        *,
        subject: str,
        actor: str,
        identity_number: str | None = None,
        name: str | None = None,
        agency_code: str | None = None,
        roles: Iterable[str] = (),
        represents: Iterable[str] = (),
        expires_in: int = 600,
        audience: str | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": self.issuer,
            "aud": audience or self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + expires_in,
            "actor": actor,
            "roles": list(roles),
            "represents": list(represents),
        }
        for key, value in (("identity_number", identity_number), ("name", name), ("agency_code", agency_code)):
            if value is not None:
                claims[key] = value
        return jwt.encode({"alg": "RS256", "kid": self._key.kid}, claims, self._key)

    def headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def citizen(
        self, identity_number: str, name: str = "Nguyễn Văn An", represents: Iterable[str] = ()
    ) -> dict[str, str]:
        return self.headers(
            self.token(
                subject=f"citizen-{identity_number}",
                actor="citizen",
                identity_number=identity_number,
                name=name,
                represents=represents,
            )
        )

    def officer(self, agency_code: str, roles: Iterable[str], subject: str | None = None) -> dict[str, str]:
        return self.headers(
            self.token(
                subject=subject or f"officer-{agency_code}-{uuid.uuid4().hex[:6]}",
                actor="officer",
                agency_code=agency_code,
                roles=roles,
                name="Trần Thị Bình",
            )
        )


async def read_records(
    bootstrap: str,
    topic: str,
    count: int,
    *,
    accept: Callable[[ConsumerRecord[Any, Any]], bool] = lambda record: True,
    within: float = 20.0,
) -> list[ConsumerRecord[Any, Any]]:
    """Reads a topic from its beginning, as a new consumer group, until `count` records were accepted or
    `within` seconds passed; returns what was accepted (fewer when time ran out)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=f"reader-{uuid.uuid4().hex}",
    )
    await consumer.start()
    found: list[ConsumerRecord[Any, Any]] = []
    try:
        async with asyncio.timeout(within):
            while len(found) < count:
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    found.extend(r for r in records if accept(r))
    except TimeoutError:
        pass
    finally:
        await consumer.stop()
    return found


def wait_for(condition: Callable[[], Any], timeout: float = 45.0, what: str = "condition") -> Any:
    """Polls `condition` until it returns something truthy, and returns it; TimeoutError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout}s for: {what}")
        time.sleep(0.2)
