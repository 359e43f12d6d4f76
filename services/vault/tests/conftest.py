"""Fixtures of the vault's tests: the vault running in this process (its real lifespan: Kafka consumer, outbox
relay, sweeper) against the real local servers, in its own database, bucket prefix and Kafka topic prefix."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from kho_contracts import Event, decode
from kho_platform.messaging import record_for
from kho_platform.service import Runtime
from kho_platform.testing import TestIdentityProvider, read_records
from kho_vault.app import VaultDeps, create_app
from kho_vault.settings import VaultSettings

sys.path.insert(0, str(Path(__file__).parent))


@dataclass
class RunningVault:
    client: httpx.AsyncClient
    runtime: Runtime
    deps: VaultDeps
    settings: VaultSettings
    idp: TestIdentityProvider

    async def publish(self, event: Event) -> str:
        """Puts an event on the real Kafka, as its producer would."""
        record = record_for(event, self.settings)
        await self.runtime.publish(record)
        return dict(record.headers)["ce_id"].decode()

    async def wait_for(self, check: Callable[[], Any], timeout: float = 20.0) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            result = await check()
            if result:
                return result
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("condition not met")
            await asyncio.sleep(0.05)

    async def events(
        self, count: int, *, of_type: str | None = None, key: str | None = None, timeout: float = 15.0
    ) -> list[Any]:
        """Reads the vault's topic from the beginning until `count` matching events were seen."""
        wanted: list[Any] = []

        def accept(record: Any) -> bool:
            envelope, event = decode(record.headers, record.value)
            if (of_type is None or envelope.type == of_type) and (key is None or record.key == key.encode()):
                wanted.append(event)
                return True
            return False

        await read_records(
            self.settings.kafka_bootstrap,
            f"{self.settings.kafka_topic_prefix}kho.vault.documents",
            count,
            accept=accept,
            within=timeout,
        )
        return wanted


@pytest.fixture(scope="session")
async def vault(
    settings_values: Callable[..., dict[str, object]],
    identity_provider: TestIdentityProvider,
    topic_prefix: str,
) -> AsyncIterator[RunningVault]:
    values = settings_values(
        "vault",
        mongo_database=f"{settings_values('vault')['mongo_database']}_inproc",
        kafka_topic_prefix=f"{topic_prefix}vit.",
        vault_shards=8,
        vault_max_file_bytes=300_000,
        vault_orphan_grace_seconds=0,
        vault_sweep_seconds=3600,
        kafka_max_attempts=2,
    )
    settings = VaultSettings.model_validate(values)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        await asyncio.wait_for(runtime.bootstrapped.wait(), 60)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vault") as client:
            yield RunningVault(client, runtime, app.state.deps, settings, identity_provider)
        await asyncio.to_thread(remove_bucket, runtime, app.state.deps.objects.bucket)


def remove_bucket(runtime: Runtime, bucket: str) -> None:
    """Every bucket costs the local S3 server volumes: the test run's bucket goes at the end."""
    from minio.deleteobjects import DeleteObject

    try:
        names = [DeleteObject(o.object_name) for o in runtime.s3.list_objects(bucket, recursive=True)]
        list(runtime.s3.remove_objects(bucket, names))
        runtime.s3.remove_bucket(bucket)
    except Exception as exc:  # best effort
        print(f"test bucket {bucket} not removed: {exc}")
