"""What a benchmark run leaves on the shared local Kafka: each run has its own topic prefix, and its topics are
removed when it ends. Left behind, a few thousand partitions from earlier runs cost the broker CPU on every
later run and skew what the benchmarks measure."""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient

KAFKA = "127.0.0.1:9092"


async def remove_topics(prefix: str, bootstrap: str = KAFKA) -> int:
    """Deletes every topic whose name starts with `prefix`; returns how many."""
    assert prefix.startswith("bench"), "benchmarks remove only their own topics"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if topics:
            await admin.delete_topics(topics)
        return len(topics)
    finally:
        await admin.close()


async def remove_run_topics(prefix: str) -> None:
    """For a benchmark's `finally`: a cleanup failure is reported, never raised over the run's own result."""
    try:
        removed = await remove_topics(prefix)
        print(f"removed this run's {removed} Kafka topics ({prefix}*)")
    except Exception as exc:
        print(f"this run's Kafka topics ({prefix}*) were not removed: {type(exc).__name__}: {exc}")


def remove_run_topics_now(prefix: str) -> None:
    asyncio.run(remove_run_topics(prefix))
