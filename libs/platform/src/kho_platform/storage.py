"""The object store: the `minio` client speaking plain S3 to any S3 server (SeaweedFS here)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from minio import Minio

from kho_platform.settings import PlatformSettings


def make_s3_client(settings: PlatformSettings) -> Minio:
    return Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
        secure=settings.s3_secure,
        region=settings.s3_region,
    )


async def ensure_buckets(client: Minio, buckets: Sequence[str]) -> None:
    """Creates the buckets a service writes to. The minio client is synchronous: run it off the event loop."""

    def create() -> None:
        for bucket in buckets:
            if not client.bucket_exists(bucket):
                client.make_bucket(bucket)

    await asyncio.to_thread(create)


async def s3_ping(client: Minio, buckets: Sequence[str]) -> None:
    def check() -> None:
        for bucket in buckets:
            if not client.bucket_exists(bucket):
                raise RuntimeError(f"bucket {bucket} is missing")
        if not buckets:
            client.list_buckets()

    await asyncio.to_thread(check)
