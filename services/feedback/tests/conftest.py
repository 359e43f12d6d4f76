"""The feedback service in-process against the real local servers (Kafka, FerretDB, S3), with its own
database and topic prefix per test module (helpers in kho_feedback.testing)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from kho_feedback.app import create_app
from kho_feedback.deps import Feedback
from kho_feedback.settings import FeedbackSettings
from kho_feedback.testing import FeedbackUnderTest
from kho_platform.testing import TestIdentityProvider


@pytest.fixture(scope="module")
async def service(
    settings_values: Callable[..., dict[str, object]], identity_provider: TestIdentityProvider
) -> AsyncIterator[FeedbackUnderTest]:
    tag = uuid.uuid4().hex[:6]
    values = settings_values("feedback")
    values["kafka_topic_prefix"] = f"{values['kafka_topic_prefix']}{tag}."
    values["mongo_database"] = f"{values['mongo_database']}_{tag}"
    values["overdue_check_seconds"] = 0.2
    values["holidays"] = [date(2026, 1, 1)]
    settings = FeedbackSettings.model_validate(values)
    app = create_app(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    async with app.router.lifespan_context(app):
        fb: Feedback = app.state.deps
        await asyncio.wait_for(fb.runtime.bootstrapped.wait(), 60)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://feedback") as client:
            yield FeedbackUnderTest(client, fb, settings, producer, identity_provider)
    await producer.stop()


@pytest.fixture
def idp(identity_provider: TestIdentityProvider) -> TestIdentityProvider:
    return identity_provider
