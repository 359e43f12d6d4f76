"""Recipients' contact details and channel preferences, with a short in-memory cache for the hot path.

Each replica caches a profile for `contact_cache_seconds`; a change made through this replica's API is seen
at once, a change made through another replica within that time."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from kho_platform.grouped import GroupRead
from kho_platform.mongo import CollectionIndexes, Document
from pymongo.asynchronous.database import AsyncDatabase

from kho_notify.domain.recipients import Channel, RecipientProfile, default_profile

RECIPIENTS = "recipients"
INDEXES = (CollectionIndexes(RECIPIENTS),)


def profile_from(doc: Document) -> RecipientProfile:
    return RecipientProfile(
        recipient_id=doc["_id"],
        phone=doc.get("phone"),
        email=doc.get("email"),
        channels=tuple(Channel(c) for c in doc.get("channels") or ()),
        has_zalo=bool(doc.get("has_zalo", True)),
    )


class Recipients:
    def __init__(
        self, db: AsyncDatabase[Document], default_channels: tuple[Channel, ...], cache_seconds: float
    ) -> None:
        self._col = db[RECIPIENTS]
        self._default_channels = default_channels
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, RecipientProfile]] = {}
        self._read = GroupRead(self._col)

    async def profile(self, recipient_id: str) -> RecipientProfile:
        cached = self._cache.get(recipient_id)
        if cached is not None and time.monotonic() - cached[0] < self._cache_seconds:
            return cached[1]
        doc = await self._read.get(recipient_id)
        found = profile_from(doc) if doc else default_profile(recipient_id, self._default_channels)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[recipient_id] = (time.monotonic(), found)
        return found

    async def document(self, recipient_id: str) -> Document | None:
        return await self._col.find_one({"_id": recipient_id})

    async def save(self, profile: RecipientProfile, *, changed_by: str, changed: list[str]) -> None:
        """Stores a recipient's profile with an audit entry (which fields changed, by whom; not the values)."""
        now = datetime.now(UTC)
        fields: dict[str, Any] = {
            "phone": profile.phone,
            "email": profile.email,
            "channels": [c.value for c in profile.channels],
            "has_zalo": profile.has_zalo,
            "updated_at": now,
        }
        await self._col.update_one(
            {"_id": profile.recipient_id},
            {
                "$set": fields,
                "$setOnInsert": {"created_at": now},
                "$push": {"audit": {"at": now, "by": changed_by, "fields": ",".join(changed)}},
            },
            upsert=True,
        )
        self._cache[profile.recipient_id] = (time.monotonic(), profile)
