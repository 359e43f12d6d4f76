"""The in-app inbox: messages for a citizen, an organization or an agency, read by the portal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kho_platform.mongo import CollectionIndexes, Document
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

INBOX = "inbox"
INDEXES = (
    CollectionIndexes(
        INBOX,
        (IndexModel([("recipient", ASCENDING), ("created_at", DESCENDING)], name="recipient_created"),),
    ),
)


def agency_recipient(agency_code: str) -> str:
    return f"agency:{agency_code}"


class Inbox:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._col = db[INBOX]

    async def deliver(self, *, event_id: str, recipient: str, title: str, body: str, data: dict[str, Any]) -> bool:
        """Puts a message in a recipient's inbox once per (event, recipient); False if it was already there."""
        try:
            await self._col.insert_one(
                {
                    "_id": f"{event_id}:{recipient}",
                    "recipient": recipient,
                    "title": title,
                    "body": body,
                    "data": data,
                    "read": False,
                    "created_at": datetime.now(UTC),
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def list(self, recipient: str, *, limit: int = 50) -> list[Document]:
        cursor = self._col.find({"recipient": recipient}).sort([("created_at", DESCENDING), ("_id", ASCENDING)])
        return await cursor.limit(limit).to_list()

    async def mark_read(self, recipient: str, message_id: str) -> bool:
        result = await self._col.update_one({"_id": message_id, "recipient": recipient}, {"$set": {"read": True}})
        return result.matched_count == 1
