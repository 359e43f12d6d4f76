"""Deleted documents waiting for the end of their restore period (a small collection the sweeper reads:
FerretDB has no TTL indexes, and a scan of every vault would be too slow)."""

from __future__ import annotations

from datetime import UTC, datetime

from kho_platform.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase

PURGES = "purge_schedule"


class PurgeSchedule:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._col = db[PURGES]

    async def schedule(self, document_id: str, owner_id: str, due: datetime) -> None:
        await self._col.update_one({"_id": document_id}, {"$set": {"owner_id": owner_id, "due": due}}, upsert=True)

    async def cancel(self, document_id: str) -> None:
        await self._col.delete_one({"_id": document_id})

    async def due(self, limit: int = 500) -> list[Document]:
        at = datetime.now(UTC)
        return [d async for d in self._col.find({}, limit=limit) if d["due"] <= at]
