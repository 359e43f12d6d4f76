"""Drafts and dossiers on the real database: stored packed (their filtered fields plain), found by those
fields, changed by update operators applied in the process, and read back whole."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from kho_contracts import KafkaRecord
from kho_platform.mongo import Document
from kho_platform.outbox import OutboxRelay
from kho_platform.packing import PACKED
from kho_submission.adapters.repository import DOSSIER_PLAIN_FIELDS, DOSSIERS, DRAFTS, DossierRepository
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(run_id: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient("mongodb://127.0.0.1:27017/", tz_aware=True)
    database = client[f"t{run_id}_dossiers_{uuid.uuid4().hex[:6]}"]
    yield database
    await client.drop_database(database.name)
    await client.close()


async def publish_nothing(record: KafkaRecord) -> None:
    raise AssertionError("these dossiers carry no events")


def draft(dossier_id: str) -> Document:
    at = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    components = [
        {"code": f"TP{n:02d}", "name": f"Thành phần {n}", "source": "auto_attached", "candidates": [{"score": 50.0}]}
        for n in range(1, 11)
    ]
    return {
        "_id": dossier_id,
        "status": "draft",
        "owner_id": "052912345678",
        "applicant_id": "052912345678",
        "agency_code": "H21.01",
        "created_at": at,
        "document_ids": ["doc-1", "doc-2"],
        "components": components,
        "history": [{"at": at, "action": "draft_created"}],
    }


async def test_drafts_and_dossiers_are_stored_packed_and_read_back_whole(db: AsyncDatabase[Document]) -> None:
    repo = DossierRepository(db, OutboxRelay(db, [DOSSIERS], publish_nothing))
    await repo.insert_draft(draft("d-1"))
    raw = await db[DRAFTS].find_one({"_id": "d-1"})
    assert raw is not None and set(raw) <= {"_id", PACKED, *DOSSIER_PLAIN_FIELDS} and "components" not in raw
    assert await repo.draft_first("d-1") == draft("d-1")

    submitted = {**draft("d-1"), "status": "received", "code": "H21.01-261128-0001"}
    assert await repo.insert_submitted(submitted, []) is True
    raw = await db[DOSSIERS].find_one({"_id": "d-1"})
    assert raw is not None and "components" not in raw and raw["code"] == "H21.01-261128-0001"
    assert [d["_id"] for d in await repo.find({"document_ids": "doc-2"})] == ["d-1"]  # a plain field still filters


async def test_updates_of_packed_fields_apply_and_keep_the_rest(db: AsyncDatabase[Document]) -> None:
    repo = DossierRepository(db, OutboxRelay(db, [DOSSIERS], publish_nothing))
    await repo.insert_submitted({**draft("d-2"), "status": "received"}, [])
    update = {"$set": {"status": "accepted"}, "$push": {"history": {"action": "accept"}}}
    assert await repo.update("d-2", {"status": "received"}, update) is True
    assert await repo.update("d-2", {"status": "received"}, update) is False  # no longer in that status
    found = await repo.get("d-2")
    assert found is not None and found["status"] == "accepted"
    assert [h["action"] for h in found["history"]] == ["draft_created", "accept"]
    assert found["components"] == draft("d-2")["components"]
    assert await repo.count({"status": "accepted"}) == 1


async def test_a_submitted_dossier_hands_its_event_to_the_relay_and_a_repeat_does_not(
    db: AsyncDatabase[Document],
) -> None:
    sent: list[KafkaRecord] = []

    async def publish(record: KafkaRecord) -> None:
        sent.append(record)

    relay = OutboxRelay(db, [DOSSIERS], publish)
    repo = DossierRepository(db, relay)
    event = KafkaRecord(topic="t", key=b"d-3", value=b"{}", headers=[("ce_id", b"e-1"), ("ce_type", b"submitted")])
    assert await repo.insert_submitted({**draft("d-3"), "status": "received"}, [event]) is True
    assert await repo.insert_submitted({**draft("d-3"), "status": "received"}, [event]) is False  # the same id
    assert await relay.drain_fresh() == 1  # from memory: the dossier is leased to this relay, nothing claims it
    assert sent == [event]
    raw = await db[DOSSIERS].find_one({"_id": "d-3"})
    assert raw is not None and raw["outbox"] == [] and raw["outbox_pending"] is False
