"""Projection of which submitted dossiers used which vault document (from DossierSubmitted), and whether
those dossiers are still open (closed by DossierRejected or ResultReturned). A disputed document shows the
open dossiers that used it, for their front desks."""

from __future__ import annotations

from datetime import UTC, datetime

from kho_contracts.events import DossierSubmitted
from kho_platform.mongo import CollectionIndexes, Document
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

DOSSIER_DOCUMENTS = "dossier_documents"
INDEXES = (
    CollectionIndexes(
        DOSSIER_DOCUMENTS,
        (
            IndexModel([("document_id", ASCENDING), ("open", ASCENDING)], name="dossier_documents_document_open"),
            IndexModel([("dossier_id", ASCENDING)], name="dossier_documents_dossier"),
        ),
    ),
)


class DossierUsage:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._col = db[DOSSIER_DOCUMENTS]

    async def record_submitted(self, event: DossierSubmitted) -> None:
        """One row per (dossier, document); repeated deliveries change nothing."""
        components: dict[str, list[str]] = {}
        for component in event.components:
            if component.document_id:
                components.setdefault(component.document_id, []).append(component.component_code)
        for document_id, codes in components.items():
            await self._col.update_one(
                {"_id": f"{event.dossier_id}:{document_id}"},
                {
                    "$setOnInsert": {
                        "dossier_id": event.dossier_id,
                        "dossier_code": event.dossier_code,
                        "document_id": document_id,
                        "agency_code": event.agency_code,
                        "procedure_code": event.procedure_code,
                        "owner_id": event.owner_id,
                        "submitted_at": event.submitted_at,
                        "component_codes": codes,
                        "open": True,
                    }
                },
                upsert=True,
            )

    async def close_dossier(self, dossier_id: str, why: str) -> None:
        await self._col.update_many(
            {"dossier_id": dossier_id, "open": True},
            {"$set": {"open": False, "closed_because": why, "closed_at": datetime.now(UTC)}},
        )

    async def open_dossiers_using(self, document_id: str) -> list[Document]:
        cursor = self._col.find(
            {"document_id": document_id, "open": True},
            projection={"_id": 0, "dossier_id": 1, "dossier_code": 1, "agency_code": 1, "component_codes": 1},
        ).sort([("submitted_at", ASCENDING)])
        return await cursor.to_list(length=200)
