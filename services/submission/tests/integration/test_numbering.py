"""Gap-free numbers on the real database: concurrent takers, two competing allocators (as two replicas
would be), and a holder retrying after a crash."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from kho_platform.mongo import Document, ensure_indexes
from kho_submission.adapters.numbering import GaplessNumbers, number_indexes
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(run_id: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient("mongodb://127.0.0.1:27017/", tz_aware=True)
    database = client[f"t{run_id}_numbers_{uuid.uuid4().hex[:6]}"]
    await ensure_indexes(database, [number_indexes("numbers")])
    yield database
    await client.drop_database(database.name)
    await client.close()


async def test_concurrent_takers_get_unique_gap_free_numbers(db: AsyncDatabase[Document]) -> None:
    one, two = GaplessNumbers(db["numbers"]), GaplessNumbers(db["numbers"])  # two replicas
    takers = [(one if i % 2 else two).take("H21.01-250702", f"dossier-{i}") for i in range(120)]
    numbers = [slot["n"] for slot in await asyncio.gather(*takers)]
    assert sorted(numbers) == list(range(1, 121))


async def test_a_holder_keeps_its_number_when_it_asks_again(db: AsyncDatabase[Document]) -> None:
    numbers = GaplessNumbers(db["numbers"])
    first = await numbers.take("H21.01-250703", "dossier-a")
    await numbers.take("H21.01-250703", "dossier-b")
    # a new process (the old one crashed after taking the number) asks again for the same holder
    again = await GaplessNumbers(db["numbers"]).take("H21.01-250703", "dossier-a")
    assert (first["n"], again["n"]) == (1, 1)
    assert (await numbers.take("H21.01-250703", "dossier-c"))["n"] == 3
    assert await GaplessNumbers(db["numbers"]).last("H21.01-250703") == 3


async def test_numbers_restart_per_key(db: AsyncDatabase[Document]) -> None:
    numbers = GaplessNumbers(db["numbers"])
    assert (await numbers.take("H21.01-250704", "x1"))["n"] == 1
    assert (await numbers.take("H21.02-250704", "x2"))["n"] == 1
    assert (await numbers.take("H21.01-250705", "x3"))["n"] == 1


async def test_last_finds_the_highest_number_by_probing(db: AsyncDatabase[Document]) -> None:
    numbers = GaplessNumbers(db["numbers"])
    await asyncio.gather(*[numbers.take("H21.03-250706", f"p{i}") for i in range(37)])
    assert await GaplessNumbers(db["numbers"]).last("H21.03-250706") == 37
    assert await numbers.last("H21.03-250707") == 0
