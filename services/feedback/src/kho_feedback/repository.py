"""Disputes in the service's own database; each dispute document carries its pending events (outbox)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from kho_contracts.events import ResultDisputed
from kho_platform.mongo import CollectionIndexes, Document
from kho_platform.outbox import new_document_with_events
from kho_platform.service import Runtime
from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

DISPUTES = "disputes"
INDEXES = (
    CollectionIndexes(
        DISPUTES,
        (
            IndexModel([("owner_id", ASCENDING), ("opened_at", ASCENDING)], name="owner_opened"),
            IndexModel([("agency_code", ASCENDING), ("status", ASCENDING)], name="agency_status"),
            # One open dispute per document and owner: "owner:document" while open; the dispute id once
            # closed (no partial indexes on FerretDB, and a missing key would collide as null).
            IndexModel([("open_key", ASCENDING)], name="open_key", unique=True),
        ),
    ),
)


class DisputeAlreadyOpen(Exception):
    pass


class DisputeRepository:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._col = runtime.db[DISPUTES]

    async def open(self, dispute: ResultDisputed, *, opened_by: str) -> Document:
        record = self._runtime.record(dispute)
        doc: dict[str, Any] = {
            "_id": dispute.dispute_id,
            "version": 1,
            "status": "open",
            "open_key": f"{dispute.owner_id}:{dispute.document_id}",
            "document_id": dispute.document_id,
            "owner_id": dispute.owner_id,
            "agency_code": dispute.agency_code,
            "reason": dispute.reason.value,
            "note": dispute.note,
            "opened_at": dispute.opened_at,
            "deadline": datetime.combine(dispute.deadline, datetime.min.time(), UTC),
            "history": [{"at": dispute.opened_at, "by": opened_by, "action": "opened"}],
        }
        try:
            await self._col.insert_one(new_document_with_events(doc, [record]))
        except DuplicateKeyError as exc:
            raise DisputeAlreadyOpen from exc
        self._runtime.relay.wake()
        return doc

    async def get(self, dispute_id: str) -> Document | None:
        return await self._col.find_one({"_id": dispute_id})


def deadline_from(opened: datetime, working_days: int) -> date:
    """The date `working_days` working days (Monday to Friday) after the opening day."""
    day = opened.date()
    left = working_days
    while left > 0:
        day = date.fromordinal(day.toordinal() + 1)
        if day.weekday() < 5:
            left -= 1
    return day
