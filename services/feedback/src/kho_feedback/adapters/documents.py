"""Projection of the vault's documents, from the vault's events: which documents exist, who owns them, which
agency issued them, which version is current, and whether the owner can see them yet.

Writes to one document are serialized in the process (FerretDB 1.24 does not isolate updates). Only what
disputes need is kept; for the owner's own uploads just enough to refuse a dispute with a reason.
Events about one document come in order (Kafka key = document id); a version filter keeps redeliveries and
stale events from going backwards.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kho_contracts.common import StoreKind
from kho_contracts.events import DocumentReplaced, DocumentStored
from kho_platform.mongo import CollectionIndexes, Document
from kho_platform.outbox import document_lock
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from kho_feedback.domain.disputes import KnownDocument

DOCUMENTS = "documents"
INDEXES = (CollectionIndexes(DOCUMENTS, (IndexModel([("owner_id", ASCENDING)], name="documents_owner"),)),)


class DocumentProjection:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._col = db[DOCUMENTS]

    async def apply_stored(self, event: DocumentStored) -> bool:
        """Records a stored document (or a newer version of it); False when it was not newer."""
        fields: dict[str, Any] = {
            "owner_id": event.owner_id,
            "store_kind": event.store_kind.value,
            "document_type": event.document_type.value,
            "version": event.version,
            "hidden": event.hidden,
            "file_sha256": event.file.sha256,
            "updated_at": datetime.now(UTC),
        }
        if event.store_kind == StoreKind.AGENCY_ISSUED:
            fields |= {
                "name": event.name,
                "document_code": event.document_code,
                "result_code": event.result_code,
                "issuing_agency_code": event.issuing_agency_code,
                "issuing_agency_name": event.issuing_agency_name,
            }
        try:
            async with document_lock(DOCUMENTS, event.document_id):
                result = await self._col.update_one(
                    # same version again: re-applied (harmless); a placeholder (no version yet) is filled in
                    {"_id": event.document_id, "$or": [{"version": {"$lte": event.version}}, {"version": None}]},
                    {"$set": fields},
                    upsert=True,
                )
        except DuplicateKeyError:  # a newer version is already known
            return False
        return result.matched_count == 1 or result.upserted_id is not None

    async def apply_replaced(self, event: DocumentReplaced) -> bool:
        async with document_lock(DOCUMENTS, event.document_id):
            result = await self._col.update_one(
                {"_id": event.document_id, "version": {"$lt": event.version}},
                {"$set": {"version": event.version, "file_sha256": event.file.sha256, "updated_at": datetime.now(UTC)}},
            )
        return result.modified_count == 1

    async def mark_returned(self, document_ids: list[str]) -> None:
        """The results of a dossier were returned to the owner: hidden results become visible. The document may
        not be known yet (another topic): a placeholder remembers it until its DocumentStored arrives."""
        for document_id in document_ids:
            async with document_lock(DOCUMENTS, document_id):
                await self._col.update_one({"_id": document_id}, {"$set": {"returned": True}}, upsert=True)

    async def get(self, document_id: str) -> KnownDocument | None:
        doc = await self._col.find_one({"_id": document_id})
        if doc is None or "owner_id" not in doc:
            return None
        return KnownDocument(
            document_id=doc["_id"],
            owner_id=doc["owner_id"],
            store_kind=StoreKind(doc["store_kind"]),
            version=doc["version"],
            visible=not doc.get("hidden", False) or bool(doc.get("returned")),
            name=doc.get("name"),
            document_code=doc.get("document_code"),
            issuing_agency_code=doc.get("issuing_agency_code"),
            issuing_agency_name=doc.get("issuing_agency_name"),
        )
