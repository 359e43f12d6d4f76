"""Submission benchmarks, printing numbers:

1. assembling a 10-component dossier (POST /v1/dossiers: the vault's candidates for every component, the
   draft written): p50/p95 over sequential requests;
2. 200 concurrent submits to one agency: every dossier code unique and gap-free, p50/p95/max latency.

The submission service runs as its own process against the real local servers. The vault is the one at
KHO_BENCH_VAULT_URL when given (e.g. a vault loaded by its own bench with 1,000,000 documents, and
KHO_BENCH_OWNER an owner that has documents there); otherwise a minimal stand-in answering one candidate
per component is started, so only the submission side is measured (said so in the output).

    uv run python bench/submission_bench.py [--drafts 200] [--assemble 200] [--set KHO_X=V ...]
    uv run python bench/submission_bench.py --vault-db kho_vault_bench_packed_200000_5_1024   # the real vault
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import uvicorn
from fastapi import FastAPI, Request
from kho_platform.processes import ServiceProcess, free_port
from kho_platform.settings import DEV_S3_ACCESS_KEY, DEV_S3_SECRET_KEY
from kho_platform.testing import TestIdentityProvider
from leftovers import remove_run_topics
from minio import Minio
from proc_cpu import reference_ms, report, snapshot, total_seconds
from pymongo import AsyncMongoClient

AGENCY = "H21.01"
PROCEDURE = "9.900010"


def ten_component_procedure() -> dict[str, Any]:
    categories = ["GKS", "GCNKH", "GXNTTHN", "CCCD", "LLTP1", "BSCT", "TLKT", "GCNXD", "CCHNDUOC", "GPLX"]
    return {
        "ThuTuc": [
            {
                "MaTTHC": PROCEDURE,
                "TenTTHC": "Thủ tục thử tải: hồ sơ 10 thành phần",
                "CapThucHien": "commune",
                "CapCoQuan": ["commune"],
                "TruongHop": [{"MaTruongHop": "TT", "TenTruongHop": "3 ngày", "ThoiGianGiaiQuyet": 3}],
                "ThanhPhanHoSo": [
                    {"MaThanhPhan": f"TP{i:02d}", "TenThanhPhan": f"Thành phần {i}", "MaDanhMucGiayTo": [c]}
                    for i, c in enumerate(categories, start=1)
                ],
                "KetQua": [{"MaKetQua": "KQ.G15.000031", "TenKetQua": "Giấy khai sinh"}],
            }
        ]
    }


def stand_in_vault() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/candidates")
    async def candidates(request: Request) -> dict[str, Any]:
        body = await request.json()
        return {
            "components": [
                {
                    "component_code": c["component_code"],
                    "candidates": [
                        {
                            "document_id": f"{body['owner_id']}-{c['component_code']}",
                            "document_code": f"{body['owner_id']}.{c['component_code']}",
                            "name": c["component_code"],
                            "category_code": (c["category_codes"] or [None])[0],
                            "document_type": "issued_result",
                            "store_kind": "agency_issued",
                            "score": 50,
                            "reasons": ["stand-in"],
                        }
                    ],
                }
                for c in body["components"]
            ]
        }

    return app


def serve_in_thread(app: FastAPI, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return server


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def published_after(database: str, *, started: float) -> float:
    """Seconds from `started` until no dossier of the run has an event waiting in its outbox."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient("mongodb://127.0.0.1:27017/")
    try:
        dossiers = client[database]["dossiers"]
        while await dossiers.find_one({"outbox_pending": True}, projection={"_id": 1}):
            await asyncio.sleep(0.1)  # each look reads the collection on FerretDB 1.24: not too often
        return time.perf_counter() - started
    finally:
        await client.close()


def owner_number() -> str:
    return f"0529{uuid.uuid4().int % 10**8:08d}"


async def main(args: argparse.Namespace) -> None:
    run = uuid.uuid4().hex[:8]
    idp = TestIdentityProvider(Path(tempfile.mkdtemp(prefix="kho-bench-idp-")))
    vault_url = os.environ.get("KHO_BENCH_VAULT_URL")
    stand_in = None
    vault: ServiceProcess | None = None
    if args.vault_db:  # the real vault service over the documents loaded by bench/vault_bench.py
        vault_env = {
            "KHO_ENVIRONMENT": "test",
            "KHO_KAFKA_TOPIC_PREFIX": f"bench{run}.",
            "KHO_S3_BUCKET_PREFIX": "kho-bench-",
            "KHO_OIDC_JWKS_FILE": str(idp.jwks_file),
            "KHO_OIDC_ISSUER": idp.issuer,
            "KHO_OIDC_AUDIENCE": idp.audience,
            "KHO_MONGO_DATABASE": args.vault_db,
            "KHO_VAULT_SHARDS": str(args.vault_shards),
            "KHO_LOG_LEVEL": "WARNING",
        }
        vault_log = Path(tempfile.gettempdir()) / f"submission-bench-{run}-vault.log"
        vault = ServiceProcess("vault", free_port(), vault_env, vault_log).start()
        vault.wait_ready(120)
        vault_url = vault.url
    if not vault_url:
        port = free_port()
        stand_in = serve_in_thread(stand_in_vault(), port)
        vault_url = f"http://127.0.0.1:{port}"
    database = f"bench{run}_submission"
    env = {
        "KHO_ENVIRONMENT": "test",
        "KHO_KAFKA_TOPIC_PREFIX": f"bench{run}.",
        "KHO_S3_BUCKET_PREFIX": f"bench{run}-",
        "KHO_OIDC_JWKS_FILE": str(idp.jwks_file),
        "KHO_OIDC_ISSUER": idp.issuer,
        "KHO_OIDC_AUDIENCE": idp.audience,
        "KHO_MONGO_DATABASE": database,
        "KHO_VAULT_URL": vault_url,
        "KHO_LOG_LEVEL": "WARNING",
        **dict(setting.split("=", 1) for setting in args.set),
    }
    log = Path(tempfile.gettempdir()) / f"submission-bench-{run}.log"
    service = ServiceProcess("submission", free_port(), env, log).start()
    try:
        service.wait_ready(90)
        # aiohttp: httpx's client cost more CPU per request than the service it measured
        connector = aiohttp.TCPConnector(limit=args.drafts + 10)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(service.url, connector=connector, timeout=timeout) as client:
            operator = idp.headers(idp.token(subject="bench-operator", actor="operator"))
            for _ in range(100):
                async with client.get("/v1/agencies") as agencies:
                    if await agencies.json():
                        break
                await asyncio.sleep(0.1)
            async with client.post(
                "/v1/catalogue/import", json=ten_component_procedure(), headers=operator
            ) as imported:
                imported.raise_for_status()

            owner_fixed = os.environ.get("KHO_BENCH_OWNER")
            body = {"procedure_code": PROCEDURE, "agency_code": AGENCY}

            def next_owner() -> str:
                if owner_fixed:
                    return owner_fixed
                if args.vault_db:  # one of the owners bench/vault_bench.py loaded
                    return f"052{random.randrange(args.vault_owners):09d}"
                return owner_number()

            async def assemble(owner: str) -> tuple[float, dict[str, Any]]:
                auth = idp.citizen(owner)  # the client's token is made before the clock starts
                started = time.perf_counter()
                async with client.post("/v1/dossiers", json=body, headers=auth) as response:
                    response.raise_for_status()
                    draft = await response.json()
                return time.perf_counter() - started, draft

            for _ in range(10):  # warm-up
                await assemble(next_owner())
            timings = []
            for _ in range(args.assemble):
                elapsed, draft = await assemble(next_owner())
                timings.append(elapsed)
            attached = sum(1 for c in draft["components"] if c["source"] == "auto_attached")
            where = f"vault at {vault_url}" if stand_in is None else "a stand-in vault (one candidate per component)"
            print(f"assemble 10-component dossier against {where}: n={len(timings)}")
            print(
                f"  p50={pct(timings, 0.5):.1f} ms  p95={pct(timings, 0.95):.1f} ms  max={max(timings) * 1000:.1f} ms"
                f"  (last draft: {attached}/10 auto-attached)"
            )

            if args.vault_db:  # the loaded owners' vaults do not fill this procedure: submits need the stand-in
                print("concurrent submits: measured without --vault-db (every component filled by the stand-in)")
                return

            owners = [owner_number() for _ in range(args.drafts)]
            drafts = []
            for owner in owners:
                _, draft = await assemble(owner)
                drafts.append((owner, draft["id"]))

            tokens = {owner: idp.citizen(owner) for owner in owners}  # made before the clock starts

            async def healthz() -> None:
                async with client.get("/healthz") as response:
                    response.raise_for_status()

            # the connections are opened before the clock starts, as a gateway's keep-alive pool holds them
            await asyncio.gather(*[healthz() for _ in drafts])

            async def submit(owner: str, dossier_id: str) -> tuple[float, str]:
                started = time.perf_counter()
                async with client.post(
                    f"/v1/dossiers/{dossier_id}/submit",
                    headers={**tokens[owner], "Idempotency-Key": f"bench-{dossier_id}"},
                ) as response:
                    response.raise_for_status()
                    code = str((await response.json())["code"])
                return time.perf_counter() - started, code

            speed_before = reference_ms()
            cpu_before, wall = snapshot(), time.perf_counter()
            results = await asyncio.gather(*[submit(o, d) for o, d in drafts])
            wall, cpu_after = time.perf_counter() - wall, snapshot()
            latencies = [r[0] for r in results]
            codes = [r[1] for r in results]
            numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
            unique = len(set(codes)) == len(codes)
            gap_free = numbers == list(range(1, len(numbers) + 1))
            print(f"{len(drafts)} concurrent submits to {AGENCY}: wall {wall * 1000:.0f} ms")
            p50, p95, top = pct(latencies, 0.5), pct(latencies, 0.95), max(latencies) * 1000
            print(f"  p50={p50:.1f} ms  p95={p95:.1f} ms  max={top:.1f} ms")
            first, last = sorted(codes)[0], sorted(codes)[-1]
            print(f"  codes unique: {unique}  gap-free 1..{len(numbers)}: {gap_free}  ({first} .. {last})")
            print("  CPU used meanwhile, per program and per submit:")
            print(report(cpu_before, cpu_after, per=len(drafts)))
            used = total_seconds(cpu_before, cpu_after)
            cores = os.cpu_count() or 1
            print(
                f"  all programs: {used:.2f} s CPU, {used / wall:.1f} of {cores} cores busy over the wall time;"
                f" with every core busy the submits could not end before {used / cores * 1000:.0f} ms"
            )
            # the events go out after the answers: the work of the burst ends when every outbox is empty
            pending = await published_after(database, started=time.perf_counter() - wall)
            cpu_published = snapshot()
            print(f"  every DossierSubmitted published and its outbox emptied {pending * 1000:.0f} ms after the start;")
            print(f"  all programs until then: {total_seconds(cpu_before, cpu_published):.2f} s CPU")
            speed_after = reference_ms()
            print(f"  machine speed: reference loop {speed_before:.0f} ms before the burst, {speed_after:.0f} ms after")
    finally:
        service.stop()
        if vault is not None:
            vault.stop()
        await remove_run_topics(f"bench{run}.")
        if stand_in is not None:
            stand_in.should_exit = True
        # the database stays (unique name): dropping one on FerretDB 1.24 while it still works on it crashed it
        s3 = Minio("127.0.0.1:8333", access_key=DEV_S3_ACCESS_KEY, secret_key=DEV_S3_SECRET_KEY, secure=False)
        bucket = f"bench{run}-submission-files"
        if s3.bucket_exists(bucket):
            for item in s3.list_objects(bucket, recursive=True):
                s3.remove_object(bucket, item.object_name)
            s3.remove_bucket(bucket)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--drafts", type=int, default=200)
    parser.add_argument("--assemble", type=int, default=200)
    parser.add_argument("--vault-db", default="", help="run the vault service over this loaded benchmark database")
    parser.add_argument("--vault-shards", type=int, default=1024)
    parser.add_argument("--vault-owners", type=int, default=200_000)
    parser.add_argument("--set", action="append", default=[], metavar="KHO_X=V", help="a setting of the service")
    asyncio.run(main(parser.parse_args()))
