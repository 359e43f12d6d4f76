"""The owners' vaults in FerretDB: one stored document per owner (the aggregate) holding all of the owner's
documents and the events their changes caused (outbox); a small index from document id to owner; and the
pending-outbox pointers the relay works from.

Every read and write is a lookup by `_id` (the only filter FerretDB 1.24 pushes down). Writes of one vault are
serialized by a lock per owner in this process; FerretDB 1.24 has no compare-and-swap (an update is a read
and a replace), so the vault runs as a single writer per owner (see the decision record).

A vault is stored packed (kho_platform.packing): `_id`, `version` and the rest as one value. The database
never looks inside a vault (every filter runs here), and FerretDB 1.24 converts every field of a document
between BSON and its JSON storage on each read and write: about 7 ms for a 10 KB vault with its documents and
search tokens, against a fraction of a millisecond for one binary value. Vaults stored unpacked are still
read.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bson.codec_options import DEFAULT_CODEC_OPTIONS, CodecOptions
from kho_contracts import KafkaRecord
from kho_platform.mongo import Document
from kho_platform.outbox import outbox_entry
from kho_platform.packing import Packing
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from kho_vault.adapters.shards import Sharded
from kho_vault.domain.document import Entry

VAULTS = "vaults"
DOCUMENT_OWNERS = "document_owners"
OUTBOX_PENDING = "outbox_pending"


@dataclass
class Vault:
    """One owner's vault, loaded for a change."""

    doc: Document
    is_new: bool
    records: list[KafkaRecord] = field(default_factory=list)
    changed: bool = False

    @property
    def owner_id(self) -> str:
        owner: str = self.doc["_id"]
        return owner

    @property
    def entries(self) -> list[Entry]:
        found: list[Entry] = self.doc.setdefault("documents", [])
        return found

    def find(self, document_id: str) -> Entry | None:
        return next((e for e in self.entries if e["id"] == document_id), None)

    def codes(self) -> set[str]:
        return {e["document_code"] for e in self.entries if e.get("document_code")}

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        self.changed = True

    def emit(self, record: KafkaRecord) -> None:
        self.records.append(record)
        self.changed = True

    def mark_changed(self) -> None:
        self.changed = True


def empty_vault(owner_id: str) -> Document:
    return {"_id": owner_id, "version": 0, "documents": [], "received_by": [], "outbox": []}


def vault_packing(codec_options: CodecOptions[Any] = DEFAULT_CODEC_OPTIONS) -> Packing:
    """How a vault is stored: only `_id` and `version` stay plain."""
    return Packing(("version",), codec_options)


class OwnerLocks:
    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, owner_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(owner_id, (asyncio.Lock(), 0))
        self._locks[owner_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[owner_id]
            if users <= 1:
                del self._locks[owner_id]
            else:
                self._locks[owner_id] = (lock, users - 1)


class DocumentOwnerConflict(Exception):
    """The document id is already used by another owner's document."""


class VaultStore:
    def __init__(self, db: AsyncDatabase[Document], shards: int) -> None:
        self.vaults = Sharded(db, VAULTS, shards)
        self.owners = Sharded(db, DOCUMENT_OWNERS, shards)
        self._pending = db[OUTBOX_PENDING]
        self._locks = OwnerLocks()
        self._wake: list[Any] = []
        self._packing = vault_packing(db.codec_options)

    def on_new_events(self, callback: Any) -> None:
        self._wake.append(callback)

    async def read(self, owner_id: str) -> Document | None:
        return self._packing.unpack_found(await self.vaults.for_key(owner_id).find_one({"_id": owner_id}))

    @contextlib.asynccontextmanager
    async def change(self, owner_id: str) -> AsyncIterator[Vault]:
        """Loads the owner's vault under the owner's lock; saves it with its new events when the block ends
        without an exception and something changed."""
        async with self._locks.hold(owner_id):
            doc = await self.read(owner_id)
            vault = Vault(doc=doc if doc is not None else empty_vault(owner_id), is_new=doc is None)
            yield vault
            if vault.changed:
                await self._save(vault)
        if vault.records:
            for wake in self._wake:
                wake()

    async def _save(self, vault: Vault) -> None:
        doc = vault.doc
        if vault.records:
            # The pointer first: a crash after it and before the vault write leaves a pointer to no events,
            # which the relay drops; the other way round could leave events nobody looks for.
            await self._pending.update_one({"_id": vault.owner_id}, {"$set": {"since": datetime.now(UTC)}}, upsert=True)
            doc.setdefault("outbox", []).extend(outbox_entry(r) for r in vault.records)
        doc["outbox_pending"] = bool(doc.get("outbox"))
        doc["version"] = int(doc.get("version", 0)) + 1
        doc["updated_at"] = datetime.now(UTC)
        col = self.vaults.for_key(vault.owner_id)
        if vault.is_new:
            await col.insert_one(self._packing.pack(doc))
            vault.is_new = False
        else:
            await col.replace_one({"_id": vault.owner_id}, self._packing.pack(doc))

    # --- document id -> owner ------------------------------------------------------------------------

    async def owner_of(self, document_id: str) -> str | None:
        found = await self.owners.for_key(document_id).find_one({"_id": document_id})
        return str(found["owner_id"]) if found else None

    async def claim_document_id(self, document_id: str, owner_id: str) -> None:
        """Records which vault holds a document id (before the vault is written: a crash in between leaves an
        index entry without a document, which reads treat as absent and the same owner may reuse)."""
        try:
            await self.owners.for_key(document_id).insert_one(
                {"_id": document_id, "owner_id": owner_id, "at": datetime.now(UTC)}
            )
        except DuplicateKeyError:
            if await self.owner_of(document_id) != owner_id:
                raise DocumentOwnerConflict(document_id) from None

    # --- the outbox ----------------------------------------------------------------------------------

    async def pending_owners(self, limit: int = 200) -> list[str]:
        return [str(d["_id"]) async for d in self._pending.find({}, limit=limit)]

    async def acknowledge(self, owner_id: str, sent_ids: list[str]) -> None:
        """Forgets published events; drops the pointer when nothing is left to publish."""
        async with self._locks.hold(owner_id):
            doc = await self.read(owner_id)
            if doc is not None and sent_ids:
                sent = set(sent_ids)
                doc["outbox"] = [e for e in doc.get("outbox") or [] if e["id"] not in sent]
                doc["outbox_pending"] = bool(doc["outbox"])
                await self.vaults.for_key(owner_id).replace_one({"_id": owner_id}, self._packing.pack(doc))
            if doc is None or not doc.get("outbox"):
                await self._pending.delete_one({"_id": owner_id})
