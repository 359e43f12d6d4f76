"""The access log: every read of a document (who, which agency, when, for which dossier, what), kept per
document so that its owner can list it (personal data protection: the owner's right to know who used their
data)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kho_platform.auth import Principal
from kho_platform.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase

from kho_vault.adapters.shards import Sharded

ACCESSES = "accesses"
MAX_ENTRIES_PER_DOCUMENT = 10_000


class AccessLog:
    def __init__(self, db: AsyncDatabase[Document], shards: int) -> None:
        self._col = Sharded(db, ACCESSES, shards)

    async def record(
        self,
        document_id: str,
        principal: Principal,
        action: str,
        *,
        owner_id: str,
        version: int | None = None,
        dossier_id: str | None = None,
    ) -> None:
        entry: dict[str, Any] = {
            "at": datetime.now(UTC),
            "action": action,
            "subject": principal.subject,
            "actor": principal.actor,
            "name": principal.name,
            "agency_code": principal.agency_code,
            "as_owner": owner_id in principal.owner_ids(),
            "version": version,
            "dossier_id": dossier_id,
        }
        await self._col.for_key(document_id).update_one(
            {"_id": document_id},
            {"$push": {"entries": entry}, "$set": {"owner_id": owner_id}},
            upsert=True,
        )

    async def list(self, document_id: str) -> list[Document]:
        found = await self._col.for_key(document_id).find_one({"_id": document_id})
        entries: list[Document] = (found or {}).get("entries") or []
        return list(reversed(entries[-MAX_ENTRIES_PER_DOCUMENT:]))
