"""Probes whether the document database applies concurrent single-document updates atomically.

    uv run python bench/db_update_atomicity.py [mongodb-url] [concurrency]

It sends N concurrent `$inc` + `$push` updates to one document and prints how many were kept. A database
with atomic single-document updates keeps all N. FerretDB 1.24 (SQLite or PostgreSQL backend) keeps only a
few: see docs/decisions/database.md for what the services do about it.
"""

from __future__ import annotations

import asyncio
import sys
import uuid

from pymongo import AsyncMongoClient


async def probe(url: str, concurrency: int) -> tuple[int, int]:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url, maxPoolSize=concurrency)
    col = client[f"atomicity_probe_{uuid.uuid4().hex[:6]}"]["counter"]
    try:
        await col.insert_one({"_id": 1, "n": 0, "items": []})
        await asyncio.gather(
            *[col.update_one({"_id": 1}, {"$inc": {"n": 1}, "$push": {"items": i}}) for i in range(concurrency)]
        )
        doc = await col.find_one({"_id": 1})
        assert doc is not None
        return int(doc["n"]), len(doc["items"])  # type: ignore[arg-type]
    finally:
        await client.drop_database(col.database.name)
        await client.close()


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "mongodb://127.0.0.1:27017/"
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    kept, items = asyncio.run(probe(url, concurrency))
    print(f"concurrent updates sent: {concurrency}")
    print(f"increments kept:         {kept}")
    print(f"array pushes kept:       {items}")
    print("atomic single-document updates:", "yes" if kept == items == concurrency else "NO")


if __name__ == "__main__":
    main()
