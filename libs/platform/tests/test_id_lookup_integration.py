"""Reads by `_id` use the primary key index of the local FerretDB (deploy/local/ferretdb/id-index.patch), and
still return exactly what MongoDB would, for `_id` values the patch handles and for those it leaves alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from bson import ObjectId
from kho_platform.mongo import make_mongo_client
from kho_platform.settings import PlatformSettings

pytestmark = pytest.mark.integration

OID = ObjectId("507f1f77bcf86cd799439011")


@pytest.fixture
async def db(platform_settings: PlatformSettings) -> AsyncIterator[Any]:
    client = make_mongo_client(platform_settings)
    database = client[platform_settings.database_name]
    collection = database["id_lookup"]
    await collection.drop()
    await collection.insert_many(
        [{"_id": f"k{n}", "v": n} for n in range(2000)] + [{"_id": 5, "v": "int"}, {"_id": OID, "v": "oid"}]
    )
    yield database
    await collection.drop()
    await client.close()


async def plan_of(db: Any, query: dict[str, Any]) -> str:
    explained = await db.command("explain", {"find": "id_lookup", "filter": query})
    return str(explained["queryPlanner"])


@pytest.mark.parametrize(
    ("query", "values"),
    [
        ({"_id": "k7"}, [7]),
        ({"_id": {"$eq": "k7"}}, [7]),
        ({"_id": {"$in": ["k7", "k8", "absent"]}}, [7, 8]),
        ({"_id": OID}, ["oid"]),
        ({"_id": "k7", "v": 8}, []),
        ({"_id": "absent"}, []),
    ],
)
async def test_lookups_by_string_or_object_id_use_the_index(db: Any, query: dict[str, Any], values: list[Any]) -> None:
    assert sorted([d["v"] async for d in db["id_lookup"].find(query)], key=str) == values
    assert "Index" in await plan_of(db, query)  # Index Scan, or Bitmap Index Scan for $in
    assert "Seq Scan" not in await plan_of(db, query)


@pytest.mark.parametrize(
    ("query", "values"),
    [
        ({"_id": 5}, ["int"]),
        ({"_id": {"$in": ["k7", 5]}}, [7, "int"]),
        ({"_id": {"$gte": "k999"}}, [999]),  # strings compare as strings: k999 > k1999
    ],
)
async def test_other_id_filters_are_still_answered_correctly(db: Any, query: dict[str, Any], values: list[Any]) -> None:
    assert sorted([d["v"] async for d in db["id_lookup"].find(query)], key=str) == sorted(values, key=str)


async def test_updates_and_deletes_by_id_touch_only_their_document(db: Any) -> None:
    collection = db["id_lookup"]
    await collection.update_one({"_id": "k3"}, {"$set": {"v": "three"}})
    await collection.delete_many({"_id": {"$in": ["k4", "k5"]}})
    assert (await collection.find_one({"_id": "k3"}))["v"] == "three"
    assert await collection.count_documents({}) == 2000
    assert await collection.find_one({"_id": "k6"}) == {"_id": "k6", "v": 6}
