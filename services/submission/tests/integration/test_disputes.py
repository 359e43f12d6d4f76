"""ResultDisputed / DisputeResolved from Kafka flag the open dossiers that used the document, once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

import pytest
from kho_contracts.common import DisputeReason
from kho_contracts.events import DisputeResolved, ResultDisputed
from kho_platform.testing import TestIdentityProvider

from .conftest import Running
from .test_dossier_flow import owner_id, ready_dossier, submit

pytestmark = pytest.mark.integration


async def wait_flags(
    service: Running, dossier_id: str, predicate: object, timeout: float = 30
) -> list[dict[str, object]]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        stored = await service.ctx.dossiers.get(dossier_id)
        flags = (stored or {}).get("dispute_flags", [])
        if callable(predicate) and predicate(flags):
            return list(flags)
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"flags now: {flags}")
        await asyncio.sleep(0.2)


async def test_a_disputed_document_is_flagged_on_open_dossiers_once(
    service: Running, identity_provider: TestIdentityProvider
) -> None:
    owner = owner_id()
    draft = await ready_dossier(service, identity_provider, owner)
    assert (await submit(service, identity_provider, owner, draft["id"], "d")).status_code == 200
    stored = await service.ctx.dossiers.get(draft["id"])
    assert stored is not None
    document_id = next(c["document"]["document_id"] for c in stored["components"] if c["code"] == "XNTTHN")
    runtime = service.app.state.runtime
    disputed = ResultDisputed(
        dispute_id=str(uuid.uuid4()),
        document_id=document_id,
        owner_id=owner,
        agency_code="H21.01",
        reason=DisputeReason.WRONG_CITIZEN_INFO,
        opened_at=datetime.now(UTC),
        deadline=date.today(),
    )
    record = runtime.record(disputed)
    await runtime.publish(record)
    await runtime.publish(record)  # delivered twice
    flags = await wait_flags(service, draft["id"], lambda f: len(f) >= 1)
    await asyncio.sleep(1.0)
    flags = await wait_flags(service, draft["id"], lambda f: True)
    assert len(flags) == 1 and flags[0]["open"] and flags[0]["reason"] == "wrong_citizen_info"
    assert document_id in await service.ctx.disputed.among([document_id])

    resolved = DisputeResolved(
        dispute_id=disputed.dispute_id,
        document_id=document_id,
        owner_id=owner,
        agency_code="H21.01",
        outcome="rejected",
        explanation="Thông tin đúng",
        resolved_by="officer",
        resolved_at=datetime.now(UTC),
    )
    await runtime.publish(runtime.record(resolved))
    flags = await wait_flags(service, draft["id"], lambda f: f and not f[0]["open"])
    assert flags[0]["outcome"] == "rejected"
    assert not await service.ctx.disputed.among([document_id])
