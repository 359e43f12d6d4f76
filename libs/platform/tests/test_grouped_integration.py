"""Grouped inserts and reads against the real FerretDB: many concurrent callers, one command per group, each
caller told its own outcome."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from kho_platform.grouped import GroupInsert, GroupRead
from kho_platform.mongo import make_mongo_client
from kho_platform.settings import PlatformSettings

pytestmark = pytest.mark.integration


@pytest.fixture
async def collection(platform_settings: PlatformSettings) -> AsyncIterator[Any]:
    client = make_mongo_client(platform_settings)
    col = client[platform_settings.database_name]["grouped"]
    await col.drop()
    yield col
    await col.drop()
    await client.close()


async def test_concurrent_inserts_are_grouped_and_each_caller_learns_its_outcome(collection: Any) -> None:
    await collection.insert_one({"_id": "k3"})
    inserts = GroupInsert(collection, max_batch=4, linger=0.005)
    outcomes = await asyncio.gather(*(inserts.insert({"_id": f"k{n}", "n": n}) for n in range(10)))
    assert outcomes == [n != 3 for n in range(10)]  # k3 existed already
    assert await collection.count_documents({}) == 10
    assert await inserts.insert({"_id": "k5"}) is False


async def test_concurrent_reads_share_a_query_and_miss_what_is_absent(collection: Any) -> None:
    await collection.insert_many([{"_id": f"k{n}", "n": n} for n in range(5)])
    reads = GroupRead(collection, max_batch=2)
    found = await asyncio.gather(*(reads.get(f"k{n}") for n in (0, 1, 1, 4, 7)))
    assert [d and d["n"] for d in found] == [0, 1, 1, 4, None]
    many, one = await asyncio.gather(reads.get_many(["k2", "k3", "k9"]), reads.get("k3"))
    assert {k: d and d["n"] for k, d in many.items()} == {"k2": 2, "k3": 3, "k9": None}
    assert one is not None and one["n"] == 3


async def test_grouped_reads_return_only_the_projected_fields(collection: Any) -> None:
    await collection.insert_many([{"_id": f"k{n}", "n": n, "big": "x" * 100} for n in range(3)])
    reads = GroupRead(collection, projection={"n": 1})
    found = await asyncio.gather(*(reads.get(f"k{n}") for n in range(3)))
    assert found == [{"_id": f"k{n}", "n": n} for n in range(3)]
