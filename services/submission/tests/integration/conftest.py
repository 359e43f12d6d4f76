"""The submission service in this process against the real Kafka, database and S3; the vault and the
signature service replaced by in-memory fakes of their ports."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from kho_submission.app import create_app
from kho_submission.service_layer.context import Context
from kho_submission.settings import SubmissionSettings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fakes import FakeSignature, FakeVault


@dataclass
class Running:
    app: FastAPI
    client: httpx.AsyncClient
    vault: FakeVault
    signature: FakeSignature

    @property
    def ctx(self) -> Context:
        ctx: Context = self.app.state.deps
        return ctx


@pytest.fixture(scope="session")
async def service(settings_values: Callable[..., dict[str, Any]]) -> AsyncIterator[Running]:
    settings = SubmissionSettings.model_validate(settings_values("submission", submit_recovery_seconds=1.0))
    vault, signature = FakeVault(), FakeSignature()
    app = create_app(settings, vault=vault, signature=signature)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        await asyncio.wait_for(runtime.bootstrapped.wait(), 60)
        ctx: Context = app.state.deps
        for _ in range(100):
            if not await ctx.catalogue.is_empty():
                break
            await asyncio.sleep(0.1)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://submission") as client:
            yield Running(app, client, vault, signature)
        # The database is left in place (its name is unique to the run): dropping a database on FerretDB 1.24
        # (SQLite) while the server still runs queries on it crashed the server (SIGBUS) during our runs.
        await asyncio.to_thread(remove_buckets, runtime.s3, list(runtime.buckets.values()))


def remove_buckets(s3: Any, buckets: list[str]) -> None:
    """Each bucket takes volumes on the shared local S3 server: give them back after the run."""
    for bucket in buckets:
        if s3.bucket_exists(bucket):
            for item in s3.list_objects(bucket, recursive=True):
                s3.remove_object(bucket, item.object_name)
            s3.remove_bucket(bucket)
