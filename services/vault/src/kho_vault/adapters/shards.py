"""Collections spread over shards by a stable hash of a key.

FerretDB 1.24 (SQLite backend) answers every query by scanning the whole collection: only `{"_id": value}`
filters are pushed down to SQLite, and even those scan the table (its `_id` index is not used; see
docs/decisions/vault-sharded-owner-vaults.md). A lookup therefore costs time in proportion to the size of the
collection, so the vault keeps its large collections small: `vaults_0000` … `vaults_NNNN`.
"""

from __future__ import annotations

import hashlib

from kho_platform.mongo import Document
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase


def shard_of(key: str, shards: int) -> int:
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


class Sharded:
    def __init__(self, db: AsyncDatabase[Document], base: str, shards: int) -> None:
        self._db = db
        self.base = base
        self.shards = shards
        self._width = max(4, len(str(shards - 1)))

    def name_for(self, key: str) -> str:
        return f"{self.base}_{shard_of(key, self.shards):0{self._width}d}"

    def for_key(self, key: str) -> AsyncCollection[Document]:
        return self._db[self.name_for(key)]

    def all_names(self) -> list[str]:
        return [f"{self.base}_{n:0{self._width}d}" for n in range(self.shards)]
