"""Benchmark of the notify service against the real Kafka and FerretDB and the local provider stand-ins.

    uv run python bench/notify_bench.py [--rate 500] [--seconds 20] [--skip-restart]

Phase 1 (steady): DossierAccepted events at --rate a second for --seconds, each for a citizen who prefers Zalo
(one ZNS call and one in-app message per event), into --replicas notify instances. Prints the provider-side
throughput, the latency from the moment the event is sent to the provider call (p50/p95/p99), duplicates and
losses, and the CPU each program used.

Phase 2 (restart): the same load for citizens who prefer SMS; the service is killed (SIGKILL) a third of the
way in and started again. Prints losses, duplicates accepted by the gateway, and the in-doubt resends the
gateway refused as repeated RequestIds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from kho_contracts import KafkaRecord, encode, new_envelope
from kho_contracts.events import DossierAccepted
from kho_notify.domain.ids import delivery_id, notification_id
from kho_notify.testing.providers import ProviderServer, all_zalo_templates
from kho_platform.processes import ServiceProcess, free_port
from leftovers import remove_run_topics_now
from proc_cpu import reference_ms, snapshot
from proc_cpu import report as cpu_report
from pymongo import MongoClient

KAFKA = "127.0.0.1:9092"


def citizens(count: int, offset: int) -> list[tuple[str, str]]:
    return [(f"0529{(offset + n):08d}", f"849{(offset + n):08d}") for n in range(count)]


def event_for(owner: str) -> DossierAccepted:
    dossier = uuid.uuid4().hex
    return DossierAccepted(
        dossier_id=dossier,
        dossier_code=f"H08.15-260302-{int(dossier[:4], 16) % 10000:04d}",
        procedure_code="1.001193",
        agency_code="H08.15",
        owner_id=owner,
        applicant_id=owner,
        officer_id="officer-bench",
        accepted_at=datetime.now(UTC),
    )


Prepared = list[tuple[str, str, KafkaRecord]]


def prepare(prefix: str, owners: list[str], count: int) -> Prepared:
    """The events of a run, encoded before the clock (and the CPU count) starts: encoding was most of the
    load generator's CPU, and it shares the cores with what it measures."""
    prepared = []
    for n in range(count):
        owner = owners[n % len(owners)]
        event = event_for(owner)
        envelope = new_envelope(event, source="/kho/bench")
        prepared.append((envelope.id, owner, encode(event, envelope, topic_prefix=prefix)))
    return prepared


async def produce(prepared: Prepared, rate: float, on_tick: Any = None, on_start: Any = None) -> dict[str, float]:
    """Sends the prepared events at a steady pace; returns event id -> (send time, owner). What is due at each
    10 ms tick goes out as one batch per partition (keyed as the services key them, computed before the clock
    starts), which costs the load generator far less than one producer call per record. `on_start` is called
    just before the first event goes."""
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, linger_ms=5, enable_idempotence=True)
    await producer.start()
    total = len(prepared)
    topic = prepared[0][2].topic
    partitions = sorted(await producer.partitions_for(topic))
    partition_of = DefaultPartitioner()
    assigned = [partition_of(record.key, partitions, partitions) for _, _, record in prepared]
    sent: dict[str, tuple[float, str]] = {}
    if on_start is not None:
        on_start()
    started = time.time()
    futures = []
    position = 0
    try:
        while position < total:
            await asyncio.sleep(0.01)
            now = time.time()
            if on_tick is not None:
                on_tick(now - started)
            due = min(total, int((now - started) * rate) + 1)
            batches: dict[int, Any] = {}
            for (event_id, owner, record), partition in zip(
                prepared[position:due], assigned[position:due], strict=True
            ):
                batch = batches.setdefault(partition, producer.create_batch())
                while batch.append(key=record.key, value=record.value, timestamp=None, headers=record.headers) is None:
                    futures.append(await producer.send_batch(batch, topic, partition=partition))  # full
                    batch = batches[partition] = producer.create_batch()
                sent[event_id] = (now, owner)  # latency counts from the moment the event is sent
            position = due
            for partition, batch in batches.items():
                futures.append(await producer.send_batch(batch, topic, partition=partition))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return sent  # type: ignore[return-value]


def start_notify(env: dict[str, str], logs: Path, n: int) -> ServiceProcess:
    proc = ServiceProcess("notify", free_port(), env, logs / f"notify-{n}.log").start()
    proc.wait_ready(90)
    return proc


def wait_all(providers: ProviderServer, channel: str, expected: set[str], timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    seen: list[dict[str, Any]] = []
    accepted: set[str] = set()
    while True:
        new = providers.received(light=True, since=len(seen))  # only what arrived since the last look
        seen.extend(new)
        accepted |= {
            r["key"] for r in new if r["channel"] == channel and r["result"] is None and not r.get("duplicate")
        }
        if expected <= accepted or time.monotonic() > deadline:
            return [r for r in seen if r["channel"] == channel]
        time.sleep(1.0)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(title: str, sent: dict[str, Any], rows: list[dict[str, Any]], channel: str) -> dict[str, Any]:
    expected = {delivery_id(notification_id(eid, owner), channel): (t, eid) for eid, (t, owner) in sent.items()}
    ok_rows = [r for r in rows if r["result"] is None and not r.get("duplicate") and r["key"] in expected]
    per_key = Counter(r["key"] for r in ok_rows)
    duplicates = sum(c - 1 for c in per_key.values() if c > 1)
    refused_repeats = sum(1 for r in rows if r.get("duplicate"))
    missing = len(set(expected) - set(per_key))
    latencies = [r["at"] - expected[r["key"]][0] for r in ok_rows]
    first_sent = min(t for t, _ in expected.values())
    last_call = max(r["at"] for r in ok_rows) if ok_rows else first_sent
    span = last_call - first_sent
    by_second = Counter(int(r["at"] - first_sent) for r in ok_rows)
    steady = [by_second[s] for s in range(1, int(span))] or [0]
    print(f"\n== {title}")
    print(f"events sent:                {len(sent)}")
    print(f"{channel} calls accepted:       {len(ok_rows)}  (distinct deliveries {len(per_key)})")
    print(f"throughput (first event to last call): {len(ok_rows) / span if span else 0:.0f}/s over {span:.1f}s")
    print(f"per-second calls (min / median / max after the first second): "
          f"{min(steady)} / {statistics.median(steady):.0f} / {max(steady)}")  # fmt: skip
    if latencies:
        print(
            "event -> provider call latency: "
            f"p50 {percentile(latencies, 50) * 1000:.0f} ms, p95 {percentile(latencies, 95) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
        )
    windows = Counter(int((r["at"] - first_sent) // 5) for r in ok_rows)
    timeline = " ".join(str(windows[w]) for w in range(max(windows, default=-1) + 1))
    print(f"calls per 5 s from the first event: {timeline}")
    print(f"duplicates accepted by the provider: {duplicates}")
    print(f"resends refused by the provider as repeated idempotency keys: {refused_repeats}")
    print(f"lost (never accepted): {missing}")
    return {"duplicates": duplicates, "missing": missing, "latencies": latencies}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="notify instances sharing the load (one consumer each, 2 partitions each)",
    )
    parser.add_argument("--set", action="append", default=[], metavar="KHO_X=V", help="a setting of the notify service")
    parser.add_argument("--skip-restart", action="store_true")
    parser.add_argument("--skip-steady", action="store_true")
    args = parser.parse_args()

    run = uuid.uuid4().hex[:6]
    prefix = f"bench{run}."
    database = f"bench{run}_notify"
    logs = Path(tempfile.mkdtemp(prefix="notify-bench-"))
    providers = ProviderServer(free_port(), logs / "providers.log").start()
    env = {
        **providers.settings_env(all_zalo_templates()),
        "KHO_ENVIRONMENT": "test",
        "KHO_KAFKA_TOPIC_PREFIX": prefix,
        "KHO_MONGO_DATABASE": database,
        "KHO_LOG_LEVEL": "WARNING",
        "KHO_ZALO_RATE_PER_SECOND": "2000",
        "KHO_SMS_RATE_PER_SECOND": "2000",
        "KHO_PROVIDER_MAX_CONCURRENCY": os.environ.get("BENCH_PROVIDER_CONCURRENCY", "64"),
        "KHO_OIDC_JWKS_FILE": os.devnull,
    }
    env |= dict(setting.split("=", 1) for setting in args.set)
    if args.replicas > 1:
        env |= {"KHO_CONSUMER_COUNT": "1", "KHO_KAFKA_PARTITIONS": str(2 * args.replicas)}
    mongo: MongoClient[dict[str, Any]] = MongoClient("mongodb://127.0.0.1:27017/")
    zalo_people = citizens(args.recipients, 0)
    sms_people = citizens(args.recipients, args.recipients)
    mongo[database]["recipients"].insert_many(
        [{"_id": cid, "phone": phone, "channels": ["zalo"], "has_zalo": True} for cid, phone in zalo_people]
        + [{"_id": cid, "phone": phone, "channels": ["sms"], "has_zalo": False} for cid, phone in sms_people]
    )
    print(f"logs in {logs}; rate {args.rate}/s for {args.seconds}s per phase; {args.recipients} recipients each")
    failed = False
    notify = start_notify(env, logs, 0)
    others = [start_notify(env, logs, 100 + n) for n in range(1, args.replicas)]
    try:
        if not args.skip_steady:
            prepared = prepare(prefix, [c for c, _ in zalo_people], int(args.rate * args.seconds))
            speed_before = reference_ms()
            cpu: dict[str, Any] = {}
            sent = asyncio.run(produce(prepared, args.rate, on_start=lambda: cpu.setdefault("before", snapshot())))
            expected = {delivery_id(notification_id(e, o), "zalo") for e, (_, o) in sent.items()}
            rows = wait_all(providers, "zalo", expected, timeout=120)
            cpu_after = snapshot()
            result = report("steady load, Zalo", sent, rows, "zalo")
            print("CPU used per program, and per event:")
            print(cpu_report(cpu["before"], cpu_after, per=len(sent)))
            print(f"machine speed: reference loop {speed_before:.0f} ms before the run, {reference_ms():.0f} ms after")
            p95 = percentile(result["latencies"], 95) if result["latencies"] else float("inf")
            failed |= bool(result["duplicates"] or result["missing"] or p95 > 0.5)
        if not args.skip_restart:
            killed: list[float] = []
            restarted: dict[str, ServiceProcess] = {}

            def chaos(elapsed: float) -> None:
                if not killed and elapsed >= args.seconds / 3:
                    notify.kill()
                    killed.append(elapsed)

            prepared = prepare(prefix, [c for c, _ in sms_people], int(args.rate * args.seconds))
            sent = asyncio.run(produce(prepared, args.rate, chaos))
            restarted["notify"] = start_notify(env, logs, 1)
            expected = {delivery_id(notification_id(e, o), "sms") for e, (_, o) in sent.items()}
            rows = wait_all(providers, "sms", expected, timeout=180)
            print(f"\n(killed with SIGKILL {killed[0]:.1f}s into the run; restarted after the load was sent)")
            result = report("kill and restart during the run, SMS", sent, rows, "sms")
            failed |= bool(result["duplicates"] or result["missing"])
            notify = restarted["notify"]
    finally:
        notify.stop()
        for other in others:
            other.stop()
        providers.stop()
        remove_run_topics_now(prefix)
        # The database is left in place: dropping a FerretDB/SQLite database while other clients of the shared
        # server are busy is not worth the risk. Its name starts with "bench".
        mongo.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
