"""Fixtures shared by every test of the workspace.

Integration and end-to-end tests run against the real local servers (deploy/local/servers.sh), each test
session in its own database names and Kafka topic prefix so that runs never see each other's data.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kho_platform.settings import PlatformSettings
from kho_platform.testing import TestIdentityProvider

RUN_ID = uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def run_id() -> str:
    return RUN_ID


@pytest.fixture(scope="session")
def identity_provider(tmp_path_factory: pytest.TempPathFactory) -> TestIdentityProvider:
    return TestIdentityProvider(tmp_path_factory.mktemp("idp"))


@pytest.fixture(scope="session")
def topic_prefix() -> str:
    return f"t{RUN_ID}."


@pytest.fixture(scope="session")
def base_env(identity_provider: TestIdentityProvider, topic_prefix: str) -> dict[str, str]:
    """Environment for a service started by a test: the real local servers, isolated names."""
    return {
        "KHO_ENVIRONMENT": "test",
        "KHO_KAFKA_TOPIC_PREFIX": topic_prefix,
        "KHO_S3_BUCKET_PREFIX": f"t{RUN_ID}-",
        "KHO_OIDC_JWKS_FILE": str(identity_provider.jwks_file),
        "KHO_OIDC_ISSUER": identity_provider.issuer,
        "KHO_OIDC_AUDIENCE": identity_provider.audience,
        "KHO_OUTBOX_POLL_SECONDS": "0.1",
    }


@pytest.fixture(scope="session")
def settings_values(base_env: dict[str, str]) -> Callable[..., dict[str, object]]:
    """settings_values("vault", http_port=...) -> the values of a service's settings for this test run."""

    def make(service: str, **overrides: object) -> dict[str, object]:
        values: dict[str, object] = {k.removeprefix("KHO_").lower(): v for k, v in base_env.items()}
        values["mongo_database"] = f"t{RUN_ID}_{service}"
        values["service_name"] = service
        values.update(overrides)
        return values

    return make


@pytest.fixture(scope="session")
def platform_settings(settings_values: Callable[..., dict[str, object]]) -> PlatformSettings:
    return PlatformSettings.model_validate(settings_values("platformtest"))


@pytest.fixture(scope="session", autouse=True)
def _remove_this_runs_buckets() -> Iterator[None]:
    """Each run writes to buckets of its own (prefix t<run id>-); they go when the run ends, so that the
    local S3 server does not collect the volumes of every run ever made."""
    yield
    from minio import Minio
    from minio.deleteobjects import DeleteObject

    settings = PlatformSettings()
    client = Minio(settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key, secure=settings.s3_secure)
    try:
        buckets = [b.name for b in client.list_buckets() if b.name.startswith(f"t{RUN_ID}-")]
        for bucket in buckets:
            listed = client.list_objects(bucket, recursive=True)
            for error in client.remove_objects(bucket, (DeleteObject(o.object_name) for o in listed if o.object_name)):
                print(f"could not remove {error.name} from {bucket}: {error.message}")
            client.remove_bucket(bucket)
    except Exception as exc:  # the server is down: nothing to clean
        print(f"test buckets not removed: {exc}")
    asyncio.run(_remove_this_runs_databases_and_topics(settings))


async def _remove_this_runs_databases_and_topics(settings: PlatformSettings) -> None:
    """The run's databases (t<run id>_...) and Kafka topics (t<run id>....) go too: CI runs again and again
    on the same machine."""
    from aiokafka.admin import AIOKafkaAdminClient
    from pymongo import AsyncMongoClient

    try:
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            settings.mongo_url, serverSelectionTimeoutMS=3000
        )
        try:
            for name in await client.list_database_names():
                if name.startswith(f"t{RUN_ID}_"):
                    await client.drop_database(name)
        finally:
            await client.close()
    except Exception as exc:
        print(f"test databases not removed: {exc}")
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=10000)
        await admin.start()
        try:
            topics = [t for t in await admin.list_topics() if t.startswith(f"t{RUN_ID}.")]
            if topics:
                await admin.delete_topics(topics)
        finally:
            await admin.close()
    except Exception as exc:
        print(f"test topics not removed: {exc}")


@pytest.fixture(autouse=True)
def _no_ambient_kho_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in list(os.environ):
        if key.startswith("KHO_"):
            monkeypatch.delenv(key)
    yield


REPO_ROOT = Path(__file__).resolve().parent
