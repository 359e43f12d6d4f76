"""Disputes in the service's own database. Each dispute document carries its history (the audit trail) and
its pending events (the outbox): every change of state and its event are one single-document write, made
under the process's document lock (see kho_platform.outbox.document_lock) and, for the transitions that
happen once, after an insert-based claim."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from kho_contracts import KafkaRecord
from kho_platform.consumer import once_filter, once_update
from kho_platform.mongo import CollectionIndexes, Document
from kho_platform.outbox import document_lock, new_document_with_events, outbox_entry
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from kho_feedback.domain.disputes import DisputeStatus

DISPUTES = "disputes"
TRANSITIONS = "dispute_transitions"
INDEXES = (
    CollectionIndexes(
        DISPUTES,
        (
            IndexModel([("owner_id", ASCENDING), ("opened_at", DESCENDING)], name="disputes_owner_opened"),
            IndexModel([("agency_code", ASCENDING), ("status", ASCENDING)], name="disputes_agency_status"),
            IndexModel([("document_id", ASCENDING)], name="disputes_document"),
            IndexModel([("status", ASCENDING), ("escalated", ASCENDING), ("overdue_at", ASCENDING)], name="overdue"),
            IndexModel([("opened_at", ASCENDING)], name="disputes_opened"),
            IndexModel([("resolution.resolved_at", ASCENDING)], name="disputes_resolved"),
            # One open dispute per document and owner: "owner:document" while open, "closed:<id>" once closed
            # (FerretDB has no partial indexes, and a missing key would collide as null).
            IndexModel([("open_key", ASCENDING)], name="open_key", unique=True),
        ),
    ),
    CollectionIndexes(TRANSITIONS, (IndexModel([("applied", ASCENDING), ("at", ASCENDING)], name="unapplied"),)),
)


class DisputeAlreadyOpen(Exception):
    pass


class TransitionTaken(Exception):
    """This transition of the dispute was already claimed (by this or another replica)."""


class DisputeRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._col = db[DISPUTES]
        self._transitions = db[TRANSITIONS]

    async def add(self, dispute: Document, events: list[KafkaRecord]) -> None:
        try:
            await self._col.insert_one(new_document_with_events(dispute, events))
        except DuplicateKeyError as exc:
            raise DisputeAlreadyOpen from exc

    async def get(self, dispute_id: str) -> Document | None:
        return await self._col.find_one({"_id": dispute_id}, projection={"outbox": 0})

    async def open_for(self, owner_id: str, document_id: str) -> Document | None:
        return await self._col.find_one(
            {"owner_id": owner_id, "document_id": document_id, "status": DisputeStatus.OPEN.value},
            projection={"outbox": 0},
        )

    async def list_for_owners(
        self, owner_ids: Collection[str], *, document_id: str | None = None, limit: int = 50, skip: int = 0
    ) -> tuple[int, list[Document]]:
        query: Document = {"owner_id": {"$in": sorted(owner_ids)}}
        if document_id is not None:
            query["document_id"] = document_id
        return await self._page(query, [("opened_at", DESCENDING), ("_id", ASCENDING)], limit, skip)

    async def list_for_agency(
        self,
        agency_code: str,
        *,
        status: DisputeStatus | None,
        escalated: bool | None,
        limit: int = 50,
        skip: int = 0,
    ) -> tuple[int, list[Document]]:
        query: Document = {"agency_code": agency_code}
        if status is not None:
            query["status"] = status.value
        if escalated is not None:
            query["escalated"] = escalated
        return await self._page(query, [("overdue_at", ASCENDING), ("_id", ASCENDING)], limit, skip)

    async def _page(
        self, query: Document, sort: list[tuple[str, int]], limit: int, skip: int
    ) -> tuple[int, list[Document]]:
        total = await self._col.count_documents(query)
        cursor = self._col.find(query, projection={"outbox": 0}).sort(sort).skip(skip).limit(limit)
        return total, await cursor.to_list()

    # --- Transitions ------------------------------------------------------------------------------------
    #
    # A transition that must happen once per dispute (its resolution, its escalation) is first claimed by
    # inserting a document with a deterministic `_id`: an insert with a unique key is atomic on every engine,
    # whereas FerretDB 1.24 applies conditional updates without isolation (two concurrent "status is open"
    # updates may both succeed). The claim carries everything the transition writes (state, history entry,
    # events), so that a crash between the claim and its application is repaired later (`unapplied`).

    async def claim(
        self, dispute_id: str, kind: str, *, at: datetime, fields: Document, entry: Document, events: list[KafkaRecord]
    ) -> Document:
        transition = {
            "_id": f"{dispute_id}:{kind}",
            "dispute_id": dispute_id,
            "kind": kind,
            "at": at,
            "fields": fields,
            "entry": entry,
            "events": [outbox_entry(r) for r in events],
            "applied": False,
        }
        try:
            await self._transitions.insert_one(transition)
        except DuplicateKeyError as exc:
            raise TransitionTaken(transition["_id"]) from exc
        return transition

    async def apply(self, transition: Document) -> bool:
        """Writes a claimed transition into its (still open) dispute, with its history entry and events, once;
        False when the dispute was closed meanwhile (the transition is then void and publishes nothing)."""
        dispute_id = transition["dispute_id"]
        async with document_lock(DISPUTES, dispute_id):
            update: Document = {
                "$set": {**transition["fields"], "outbox_pending": bool(transition["events"])},
                "$inc": {"version": 1},
                "$push": {"history": transition["entry"], "outbox": {"$each": transition["events"]}},
                "$addToSet": {"transitions": transition["_id"]},
            }
            result = await self._col.update_one(
                {"_id": dispute_id, "status": DisputeStatus.OPEN.value, "transitions": {"$ne": transition["_id"]}},
                update,
            )
        applied = result.modified_count == 1
        await self._transitions.update_one({"_id": transition["_id"]}, {"$set": {"applied": True, "void": not applied}})
        return applied

    async def transition(self, dispute_id: str, kind: str) -> Document | None:
        return await self._transitions.find_one({"_id": f"{dispute_id}:{kind}"})

    async def unapplied(self, older_than: datetime, limit: int = 100) -> list[Document]:
        cursor = self._transitions.find({"applied": False, "at": {"$lt": older_than}}).sort([("at", ASCENDING)])
        return await cursor.limit(limit).to_list()

    async def overdue_candidates(self, now: datetime, limit: int = 100) -> list[Document]:
        cursor = self._col.find(
            {"status": DisputeStatus.OPEN.value, "escalated": False, "overdue_at": {"$lte": now}},
            projection={"outbox": 0, "history": 0},
        ).sort([("overdue_at", ASCENDING)])
        return await cursor.limit(limit).to_list()

    async def record_correction_applied(
        self, document_id: str, sha256: str, entry: Callable[[], Document], event_id: str
    ) -> int:
        """The vault made a corrected file the document's new version: noted in the dispute it resolved."""
        matching = await self._col.find(
            {
                "document_id": document_id,
                "resolution.corrected_file.sha256": sha256,
                "correction_applied": {"$ne": True},
            },
            projection={"_id": 1},
        ).to_list()
        changed = 0
        for found in matching:
            async with document_lock(DISPUTES, found["_id"]):
                result = await self._col.update_one(
                    once_filter({"_id": found["_id"], "correction_applied": {"$ne": True}}, event_id),
                    once_update(
                        {"$set": {"correction_applied": True}, "$push": {"history": entry()}, "$inc": {"version": 1}},
                        event_id,
                    ),
                )
            changed += result.modified_count
        return changed

    async def for_report(self, start: datetime, end: datetime) -> list[Document]:
        cursor = self._col.find(
            {
                "$or": [
                    {"opened_at": {"$gte": start, "$lt": end}},
                    {"resolution.resolved_at": {"$gte": start, "$lt": end}},
                ]
            },
            projection={
                "_id": 0,
                "agency_code": 1,
                "status": 1,
                "escalated": 1,
                "opened_at": 1,
                "overdue_at": 1,
                "resolution": 1,
            },
        )
        return await cursor.to_list()
