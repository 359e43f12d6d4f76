"""The service's own data in the document database: the catalogue, dossiers (each carrying its outbox),
certifications (each carrying its outbox), the disputed documents, and the gap-free number slots.

FerretDB 1.24 loses concurrent updates of one document, so the writes of one aggregate are serialized in
the process (`KeyedLocks`), and every status change filters on the status it starts from."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from typing import Any

from kho_contracts import KafkaRecord
from kho_platform.grouped import GroupInsert, GroupRead
from kho_platform.mongo import CollectionIndexes, Document
from kho_platform.outbox import OUTBOX_FIELDS, OutboxRelay, document_lock, new_document_with_events, with_events
from kho_platform.packing import Packing, apply_update
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from kho_submission.adapters.numbering import number_indexes
from kho_submission.domain.catalogue import Agency, Area, Procedure

PROCEDURES = "procedures"
AGENCIES = "agencies"
AREAS = "areas"
DOSSIERS = "dossiers"
DRAFTS = "drafts"
CERTIFICATIONS = "certifications"
DISPUTED = "disputed_documents"
NUMBERS = "numbers"

INDEXES = (
    CollectionIndexes(PROCEDURES, (IndexModel([("name_tokens", ASCENDING)], name="name_tokens"),)),
    CollectionIndexes(AGENCIES, (IndexModel([("area_code", ASCENDING)], name="area"),)),
    CollectionIndexes(AREAS, (IndexModel([("parent_code", ASCENDING)], name="parent"),)),
    CollectionIndexes(
        DRAFTS, (IndexModel([("owner_id", ASCENDING), ("created_at", DESCENDING)], name="owner_created"),)
    ),
    CollectionIndexes(
        DOSSIERS,
        (
            IndexModel([("owner_id", ASCENDING), ("created_at", DESCENDING)], name="owner_created"),
            IndexModel([("applicant_id", ASCENDING), ("created_at", DESCENDING)], name="applicant_created"),
            IndexModel([("agency_code", ASCENDING), ("status", ASCENDING)], name="agency_status"),
            IndexModel([("agency_code", ASCENDING), ("submitted_at", ASCENDING)], name="agency_submitted"),
            IndexModel([("area_code", ASCENDING), ("submitted_at", ASCENDING)], name="area_submitted"),
            IndexModel([("document_ids", ASCENDING)], name="document_ids"),
            IndexModel([("code", ASCENDING)], name="code", unique=True),
        ),
    ),
    CollectionIndexes(
        CERTIFICATIONS,
        (
            IndexModel([("agency_code", ASCENDING), ("status", ASCENDING)], name="agency_status"),
            IndexModel([("owner_id", ASCENDING)], name="owner"),
        ),
    ),
    number_indexes(NUMBERS),
)


class KeyedLocks:
    """Serializes this process's writes to one aggregate, together with the outbox relay (which holds the
    same lock while it claims, publishes and trims a document)."""

    def hold(self, key: str, collection: str = DOSSIERS) -> contextlib.AbstractAsyncContextManager[None]:
        return document_lock(collection, key)


def _tokens(text: str) -> list[str]:
    from kho_submission.adapters.pdf import fold

    return sorted({t for t in fold(text).lower().replace(",", " ").split() if t})


class CatalogueRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._procedures = db[PROCEDURES]
        self._agencies = db[AGENCIES]
        self._areas = db[AREAS]

    async def is_empty(self) -> bool:
        return await self._procedures.find_one({}, projection={"_id": 1}) is None

    async def save_procedure(self, procedure: Procedure) -> None:
        doc = procedure.model_dump(mode="json")
        doc["name_tokens"] = _tokens(procedure.name)
        await self._procedures.replace_one({"_id": procedure.code}, {"_id": procedure.code, **doc}, upsert=True)

    async def save_agency(self, agency: Agency) -> None:
        await self._agencies.replace_one({"_id": agency.code}, agency.model_dump(mode="json"), upsert=True)

    async def save_area(self, area: Area) -> None:
        await self._areas.replace_one({"_id": area.code}, area.model_dump(mode="json"), upsert=True)

    async def procedure(self, code: str) -> Procedure | None:
        doc = await self._procedures.find_one({"_id": code}, projection={"_id": 0, "name_tokens": 0})
        return Procedure.model_validate(doc) if doc else None

    async def procedures(self, query: str | None = None, limit: int = 100) -> list[Procedure]:
        filter_: Document = {}
        if query:
            tokens = _tokens(query)
            filter_ = {"$or": [{"_id": query.strip()}, {"name_tokens": {"$all": tokens}}]} if tokens else {}
        docs = await self._procedures.find(filter_, projection={"_id": 0, "name_tokens": 0}).sort("code").to_list(limit)
        return [Procedure.model_validate(d) for d in docs]

    async def agency(self, code: str) -> Agency | None:
        doc = await self._agencies.find_one({"_id": code}, projection={"_id": 0})
        return Agency.model_validate(doc) if doc else None

    async def agencies(self) -> list[Agency]:
        return [Agency.model_validate(d) for d in await self._agencies.find({}, projection={"_id": 0}).to_list()]

    async def area(self, code: str) -> Area | None:
        doc = await self._areas.find_one({"_id": code}, projection={"_id": 0})
        return Area.model_validate(doc) if doc else None

    async def areas(self) -> list[Area]:
        return [Area.model_validate(d) for d in await self._areas.find({}, projection={"_id": 0}).to_list()]


# Fields dossiers and drafts are found, sorted or counted by stay plain; the rest (components with their
# candidates, history, results…) is packed into one value (kho_platform.packing).
DOSSIER_PLAIN_FIELDS = (
    "status",
    "code",
    "owner_id",
    "applicant_id",
    "agency_code",
    "area_code",
    "created_at",
    "submitted_at",
    "updated_at",
    "document_ids",
)


class DossierRepository:
    """Drafts live in `drafts`; a submitted dossier is inserted into `dossiers` (an outbox collection) with
    its DossierSubmitted event, under the draft's id, and the relay publishes that event from memory. Reads by
    id look at the dossier first. Both are stored packed; callers see whole documents."""

    def __init__(self, db: AsyncDatabase[Document], relay: OutboxRelay) -> None:
        self._col = db[DOSSIERS]
        self._relay = relay
        self._drafts = db[DRAFTS]
        self._packing = Packing(DOSSIER_PLAIN_FIELDS, self._col.codec_options)
        self._submissions = GroupInsert(self._col)
        self._draft_reads = GroupRead(self._drafts)

    async def insert_draft(self, doc: Document) -> None:
        await self._drafts.insert_one(self._packing.pack(doc))

    async def get(self, dossier_id: str) -> Document | None:
        found, draft = await asyncio.gather(
            self._col.find_one({"_id": dossier_id}, projection={"outbox": 0}),
            self._drafts.find_one({"_id": dossier_id}),
        )
        return self._packing.unpack_found(found if found is not None else draft)

    async def draft_first(self, dossier_id: str) -> Document | None:
        """For submitting: one read in the usual case (a draft, read together with other submits' drafts).
        A draft whose dossier exists is handled by the submit itself (its number slot and dossier are found
        again)."""
        draft = await self._draft_reads.get(dossier_id)
        if draft is None:
            draft = await self._col.find_one({"_id": dossier_id}, projection={"outbox": 0})
        return self._packing.unpack_found(draft)

    async def submitted(self, dossier_ids: list[str]) -> set[str]:
        docs = await self._col.find({"_id": {"$in": dossier_ids}}, projection={"_id": 1}).to_list()
        return {d["_id"] for d in docs}

    async def insert_submitted(self, doc: Document, records: Sequence[KafkaRecord]) -> bool:
        """False when the dossier was already submitted (the same id). The events go out at once."""
        inserted = await self._submissions.insert(self._relay.leased(self._packing.pack(doc), records))
        if inserted:
            self._relay.inserted(DOSSIERS, doc["_id"], records)
        return inserted

    async def update(
        self, dossier_id: str, expected: Document, update: Document, records: Iterable[KafkaRecord] = ()
    ) -> bool:
        """Applies `update` (top-level `$set`, `$unset`, `$push`, `$addToSet`) if the dossier still matches
        `expected` (its status, typically; a draft's `expected` status is draft). The caller holds the
        dossier's lock: the packed document is read, changed here and written back."""
        collection = self._drafts if expected.get("status") == "draft" else self._col
        selector = {"_id": dossier_id, **expected}
        stored = await collection.find_one(selector, projection={field: 0 for field in OUTBOX_FIELDS})
        if stored is None:
            return False
        changed = self._packing.pack(apply_update(self._packing.unpack(stored), update))
        write: Document = {"$set": {k: v for k, v in changed.items() if k != "_id"}}
        removed = [k for k in stored if k not in changed and k != "_id"]
        if removed:
            write["$unset"] = dict.fromkeys(removed, "")
        result = await collection.update_one(selector, with_events(write, records))
        return result.matched_count == 1

    async def drafts(self, filter_: Document, limit: int = 50) -> list[Document]:
        found = await self._drafts.find(filter_).sort("created_at", DESCENDING).to_list(limit)
        done = await self.submitted([d["_id"] for d in found]) if found else set()
        return [self._packing.unpack(d) for d in found if d["_id"] not in done]

    async def find(
        self, filter_: Document, *, limit: int = 50, skip: int = 0, sort: str = "created_at"
    ) -> list[Document]:
        cursor = self._col.find(filter_, projection={"outbox": 0}).sort(sort, DESCENDING).skip(skip).limit(limit)
        return [self._packing.unpack(d) for d in await cursor.to_list()]

    async def count(self, filter_: Document) -> int:
        return await self._col.count_documents(filter_)

    async def for_indicators(self, filter_: Document) -> list[Document]:
        fields = ("agency_code", "area_code", "returns_document", "components", "results", "submitted_at")
        found = await self._col.find(filter_, projection=self._packing.projection(*fields)).to_list()
        return [self._packing.unpack(d) for d in found]


class CertificationRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._col = db[CERTIFICATIONS]

    async def insert(self, doc: Document) -> None:
        await self._col.insert_one(new_document_with_events(doc, []))

    async def get(self, certification_id: str) -> Document | None:
        return await self._col.find_one({"_id": certification_id}, projection={"outbox": 0})

    async def update(
        self, certification_id: str, expected: Document, update: Document, records: Iterable[KafkaRecord] = ()
    ) -> bool:
        result = await self._col.update_one({"_id": certification_id, **expected}, with_events(update, records))
        return result.matched_count == 1

    async def find(self, filter_: Document, limit: int = 50) -> list[Document]:
        return await self._col.find(filter_, projection={"outbox": 0}).sort("requested_at", DESCENDING).to_list(limit)


class DisputedDocuments:
    """Documents with an open dispute, from ResultDisputed / DisputeResolved (idempotent per event id)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._col = db[DISPUTED]
        # concurrent submits check their documents together, ten or so each: one query for a burst of submits
        self._reads = GroupRead(self._col, projection={"is_open": 1}, max_batch=2000)

    async def _apply(self, document_id: str, event_id: str, change: Any) -> None:
        doc = await self._col.find_one({"_id": document_id})
        if doc is None:
            doc = {"_id": document_id, "open": [], "applied_events": []}
            with contextlib.suppress(DuplicateKeyError):
                await self._col.insert_one(doc)
            doc = await self._col.find_one({"_id": document_id}) or doc
        if event_id in doc.get("applied_events", []):
            return
        disputes = change(list(doc.get("open", [])))
        await self._col.update_one(
            {"_id": document_id},
            {"$set": {"open": disputes, "is_open": bool(disputes)}, "$addToSet": {"applied_events": event_id}},
        )

    async def opened(self, document_id: str, dispute_id: str, event_id: str) -> None:
        await self._apply(document_id, event_id, lambda open_: sorted({*open_, dispute_id}))

    async def resolved(self, document_id: str, dispute_id: str, event_id: str) -> None:
        await self._apply(document_id, event_id, lambda open_: [d for d in open_ if d != dispute_id])

    async def among(self, document_ids: Iterable[str]) -> set[str]:
        ids = list(set(document_ids))
        if not ids:
            return set()
        found = await self._reads.get_many(ids)
        return {d["_id"] for d in found.values() if d is not None and d.get("is_open")}


def strip_internal(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("outbox") and k not in ("applied_events",)}
