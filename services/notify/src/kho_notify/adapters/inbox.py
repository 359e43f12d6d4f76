"""The in-app inbox: messages for a citizen, an organization or an agency, read by the portal.

Each message is also the record of its notification (one per event and recipient): which event it tells
of, the channels planned for it and the instance that made it, which owns the first try on the first external
channel. One insert both delivers the in-app message and claims the notification: a redelivered event finds it
and follows the stored plan (dispatcher.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from kho_platform.grouped import GroupInsert
from kho_platform.mongo import CollectionIndexes, Document
from kho_platform.packing import Packing
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

INBOX = "inbox"
INDEXES = (
    CollectionIndexes(
        INBOX,
        (IndexModel([("recipient", ASCENDING), ("created_at", DESCENDING)], name="recipient_created"),),
    ),
)


class Inbox:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._col = db[INBOX]
        self._packing = Packing(("recipient", "created_at", "read"), db.codec_options)  # the rest is read whole
        self._insert = GroupInsert(self._col, linger=0.005)

    async def deliver(self, notification: Document, *, title: str, body: str) -> bool:
        """Puts the notification's message in its recipient's inbox once; False if it was already there.
        `notification` holds `_id`, `recipient`, `kind`, `data` and what the dispatcher records with it."""
        return await self._insert.insert(
            self._packing.pack(
                {**notification, "title": title, "body": body, "read": False, "created_at": datetime.now(UTC)}
            )
        )

    async def notification(self, notification_id: str) -> Document | None:
        return self._packing.unpack_found(await self._col.find_one({"_id": notification_id}))

    async def list(
        self, recipient: str, *, unread_only: bool = False, limit: int = 50, skip: int = 0
    ) -> list[Document]:
        query: Document = {"recipient": recipient}
        if unread_only:
            query["read"] = False
        cursor = self._col.find(query).sort([("created_at", DESCENDING), ("_id", ASCENDING)])
        return [self._packing.unpack(doc) for doc in await cursor.skip(skip).limit(limit).to_list()]

    async def mark_read(self, recipient: str, message_id: str) -> bool:
        result = await self._col.update_one({"_id": message_id, "recipient": recipient}, {"$set": {"read": True}})
        return result.matched_count == 1
