"""The document database: PyMongo's async client and index management.

Written to the subset of MongoDB that FerretDB 1.24 implements (docs/architecture.md): no multi-document
transactions, no change streams, no $text, no TTL or partial indexes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient, IndexModel, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import CollectionInvalid

from kho_platform.settings import PlatformSettings

Document = dict[str, Any]

# FerretDB 1.24 keeps a PostgreSQL connection for every statement of an `update` command until the whole
# command ends, and needs one more for each statement's write: one command of 100 statements, or a few of
# 20 at once, take its whole pool (100) and wedge the server for every client (docs/decisions/database.md).
UPDATES_PER_COMMAND = 8


def make_mongo_client(settings: PlatformSettings) -> AsyncMongoClient[Document]:
    """One client per event loop; it connects lazily, so a service starts even when the database is down."""
    return AsyncMongoClient(
        settings.mongo_url,
        tz_aware=True,
        serverSelectionTimeoutMS=3000,
        connectTimeoutMS=3000,
        appname=f"kho-{settings.service_name}",
    )


@dataclass(frozen=True)
class CollectionIndexes:
    collection: str
    indexes: Sequence[IndexModel] = field(default_factory=tuple)


async def ensure_indexes(db: AsyncDatabase[Document], specs: Sequence[CollectionIndexes]) -> None:
    """Creates the collections and indexes a service needs; safe to run at every start.

    Only missing indexes are created: FerretDB 1.24 drops the connection when asked to create an existing
    compound index again."""
    wanted: dict[str, list[IndexModel]] = {}
    for spec in specs:
        wanted.setdefault(spec.collection, []).extend(spec.indexes)
    existing = set(await db.list_collection_names())
    for collection, indexes in wanted.items():
        if collection not in existing:
            with contextlib.suppress(CollectionInvalid):  # created meanwhile by another replica
                await db.create_collection(collection)
        present = {index["name"] async for index in await db[collection].list_indexes()}
        missing = [index for index in indexes if index.document["name"] not in present]
        if missing:
            await db[collection].create_indexes(missing)


async def ping(db: AsyncDatabase[Document]) -> None:
    await db.command("ping")


async def bulk_update(collection: AsyncCollection[Document], operations: Sequence[UpdateOne]) -> None:
    """Applies the updates in order, a few statements per command (UPDATES_PER_COMMAND): never one large
    `bulk_write` of updates."""
    for start in range(0, len(operations), UPDATES_PER_COMMAND):
        await collection.bulk_write(operations[start : start + UPDATES_PER_COMMAND], ordered=True)
