"""Vault benchmark: search and candidates over many vaults in FerretDB, and adding a 1 MB signed PDF until it
is active (through Kafka and the signature service).

    uv run python bench/vault_bench.py --owners 200000 --docs-per-owner 5       # 1,000,000 documents
    uv run python bench/vault_bench.py --owners 20000 --shards 103 --skip-add   # same rows per shard, smaller

Loaded data is kept and reused by the next run with the same sizes (--drop removes it at the end).

The documents are loaded straight into FerretDB in bulk (in the vault's stored form), then the vault runs in
this process against them and is measured through its HTTP API (token verification included). The cost of a
lookup on FerretDB 1.24 grows with the rows of one collection (see docs/decisions/vault-sharded-owner-vaults.md),
so what matters is owners per shard = owners / shards (default 1024 shards).

Targets (issue 4): search by any field p95 < 30 ms; candidates for a 10-component dossier p95 < 20 ms;
add a 1 MB signed PDF until active p95 < 500 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from kho_platform.processes import ServiceProcess, free_port
from kho_platform.testing import TestIdentityProvider
from kho_vault.adapters.shards import Sharded
from kho_vault.adapters.vaults import VAULTS, vault_packing
from kho_vault.app import create_app
from kho_vault.domain.catalogue import Catalogue
from kho_vault.domain.document import search_index
from kho_vault.settings import VaultSettings
from leftovers import remove_run_topics
from pymongo import AsyncMongoClient

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Ngọc", "Minh", "Thanh", "Quang", "Đức"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Hoa", "Hùng", "Lan", "Long", "Mai", "Nam", "Phúc", "Tâm", "Trang"]
SUMMARIES = ["Cấp lần đầu", "Cấp đổi", "Đăng ký tại UBND xã Phước Lộc", "Cấp lại do mất", "Gia hạn", "Điều chỉnh"]


def owner_id(i: int) -> str:
    return f"052{i:09d}"


def owner_name(i: int) -> str:
    r = random.Random(i)
    return f"{r.choice(FAMILY)} {r.choice(MIDDLE)} {r.choice(GIVEN)}"


def make_entries(i: int, per_owner: int, catalogue: Catalogue, run: str) -> list[dict[str, Any]]:
    r = random.Random(i * 7919)
    owner = owner_id(i)
    name = owner_name(i)
    categories = catalogue.all()
    entries = []
    for n in range(per_owner):
        cat = r.choice(categories)
        issued = date(2015, 1, 1) + timedelta(days=r.randint(0, 3600))
        until = None if r.random() < 0.6 else issued + timedelta(days=r.randint(365, 3650))
        agency_issued = cat.result_code is not None and r.random() < 0.7
        number = f"{r.randint(1, 9999)}/QĐ-UBND"
        code = f"{owner}.{cat.result_code}.{issued:%d%m%Y}" if agency_issued else f"{owner}.{cat.code}.{n + 1:02d}"
        sha = uuid.uuid5(uuid.NAMESPACE_URL, f"{run}:{owner}:{n}").hex * 2
        at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=i * per_owner + n)
        entry: dict[str, Any] = {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run}:{owner}:{n}:id")),
            "owner_id": owner,
            "owner_kind": "citizen",
            "owner_name": name,
            "document_type": "issued_result" if agency_issued else "own_upload",
            "store_kind": "agency_issued" if agency_issued else "owner",
            "category_code": cat.code,
            "category_name": cat.name,
            "result_code": cat.result_code,
            "name": f"{cat.name} của {name}",
            "document_code": code,
            "document_number": number,
            "decision_number": f"{r.randint(1, 999)}/QĐ-{r.choice(['UBND', 'TP', 'CA'])}",
            "summary": f"{r.choice(SUMMARIES)} {cat.name.lower()}",
            "issuing_agency_code": "H08.02",
            "issuing_agency_name": "UBND huyện Tuy Phước",
            "issue_date": issued.isoformat(),
            "valid_until": until.isoformat() if until else None,
            "status": "active",
            "policy": "government-result" if agency_issued else "any-qualified",
            "verdict": {"indication": "TOTAL_PASSED", "policy": "any-qualified"},
            "visible": True,
            "shared": False,
            "shared_with_agencies": [],
            "hidden_until_returned": False,
            "usage_count": 0,
            "used_in": [],
            "attached_to": [],
            "dispute": None,
            "current_version": 1,
            "pending_version": None,
            "versions": [
                {
                    "version": 1,
                    "bucket": "bench",
                    "key": f"documents/{owner}/{n}.pdf",
                    "sha256": sha,
                    "size": 100_000 + n,
                    "content_type": "application/pdf",
                    "pages": 1,
                    "stage": "stored",
                    "status": "active",
                    "reason": "added",
                    "added_by": "bench",
                    "added_at": at,
                    "verdict": None,
                }
            ],
            "created_at": at,
            "updated_at": at,
            "created_by": "bench",
        }
        entry["search"] = search_index(entry)
        entries.append(entry)
    return entries


async def load(db_name: str, owners: int, per_owner: int, shards: int, batch: int = 1000) -> float:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient("mongodb://127.0.0.1:27017/", tz_aware=True)
    db = client[db_name]
    vaults = Sharded(db, VAULTS, shards)
    stored_form = vault_packing()
    catalogue = Catalogue.load()
    started = time.perf_counter()
    pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
    queued = 0

    # Collections one at a time first (FerretDB 1.24 on SQLite dislikes concurrent schema changes), then
    # inserts a few shards at a time.
    existing = set(await db.list_collection_names())
    for name in vaults.all_names():
        if name not in existing:
            await db.create_collection(name)
    gate = asyncio.Semaphore(4)

    async def flush(name: str) -> None:
        docs = pending.pop(name)
        async with gate:
            await db[name].insert_many(docs, ordered=False)

    for i in range(owners):
        owner = owner_id(i)
        doc = {
            "_id": owner,
            "version": 1,
            "owner_name": owner_name(i),
            "documents": make_entries(i, per_owner, catalogue, db_name),
            "received_by": [],
            "outbox": [],
            "outbox_pending": False,
        }
        pending[vaults.name_for(owner)].append(stored_form.pack(doc))
        queued += 1
        if queued >= batch:
            await asyncio.gather(*(flush(name) for name in list(pending)))
            queued = 0
            if (i + 1) % (batch * 10) == 0:
                rate = (i + 1) / (time.perf_counter() - started)
                print(f"  loaded {i + 1} owners ({(i + 1) * per_owner} documents), {rate:.0f} owners/s", flush=True)
    if pending:
        await asyncio.gather(*(flush(name) for name in list(pending)))
    await client.close()
    return time.perf_counter() - started


def report(line: str) -> str:
    print(line, flush=True)
    return line


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(label: str, ms: list[float], target: float | None = None) -> str:
    p95 = pct(ms, 95)
    verdict = "" if target is None else ("  OK" if p95 < target else f"  OVER the {target:.0f} ms target")
    return (
        f"{label:<34} n={len(ms):<5} p50={statistics.median(ms):7.1f} ms  p95={p95:7.1f} ms  "
        f"max={max(ms):7.1f} ms{verdict}"
    )


async def measure(args: argparse.Namespace, idp: TestIdentityProvider, prefix: str) -> list[str]:
    settings = VaultSettings(
        environment="test",
        mongo_database=args.db,
        vault_shards=args.shards,
        kafka_topic_prefix=prefix,
        s3_bucket_prefix="kho-bench-",
        oidc_jwks_file=str(idp.jwks_file),
        oidc_issuer=idp.issuer,
        oidc_audience=idp.audience,
        log_level="WARNING",
    )
    app = create_app(settings)
    lines: list[str] = []
    catalogue = Catalogue.load()
    rng = random.Random(42)
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app.state.runtime.bootstrapped.wait(), 120)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vault", timeout=60) as client:
            tokens = {}

            def headers(owner: str) -> dict[str, str]:
                if owner not in tokens:
                    tokens[owner] = idp.citizen(owner)
                return tokens[owner]

            # warm-up
            for _ in range(20):
                i = rng.randrange(args.owners)
                await client.get("/v1/documents", params={"name": "giay"}, headers=headers(owner_id(i)))

            fields = {
                "name": lambda e: " ".join(e["name"].split()[:2]).lower(),
                "code": lambda e: e["document_code"][:20],
                "decision_number": lambda e: e["decision_number"],
                "owner_name": lambda e: e["owner_name"].upper(),
                "identity_number": lambda e: e["owner_id"][:8],
                "summary": lambda e: e["summary"].split()[0],
                "q": lambda e: "giay chung",
            }
            everything: list[float] = []
            for field, value_of in fields.items():
                times = []
                hits = 0
                for _ in range(args.queries):
                    i = rng.randrange(args.owners)
                    entry = rng.choice(make_entries(i, args.docs_per_owner, catalogue, args.db))
                    auth = headers(owner_id(i))  # the client's token is made before the clock starts
                    t = time.perf_counter()
                    response = await client.get("/v1/documents", params={field: value_of(entry)}, headers=auth)
                    times.append((time.perf_counter() - t) * 1000)
                    assert response.status_code == 200, response.text
                    hits += response.json()["total"] > 0
                everything += times
                lines.append(report(summary(f"search by {field} ({hits}/{args.queries} hit)", times, 30)))
            lines.append(report(summary("search, all fields", everything, 30)))

            cats = catalogue.all()
            times = []
            for _ in range(args.queries):
                i = rng.randrange(args.owners)
                components = [
                    {
                        "component_code": f"TP{n}",
                        "category_codes": [rng.choice(cats).code],
                        "result_codes": [c.result_code for c in cats if c.result_code][: n % 3],
                    }
                    for n in range(10)
                ]
                body = {"owner_id": owner_id(i), "on": "2025-06-01", "components": components}
                auth = headers(owner_id(i))
                t = time.perf_counter()
                response = await client.post("/v1/candidates", json=body, headers=auth)
                times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200, response.text
            lines.append(report(summary("candidates, 10 components", times, 20)))

            if not args.skip_add:
                try:
                    lines += [report(x) for x in await measure_add(args, client, idp, prefix, settings)]
                except Exception as exc:
                    lines.append(report(f"add until active: failed ({type(exc).__name__}: {str(exc)[:300]})"))
    return lines


async def measure_add(
    args: argparse.Namespace, client: httpx.AsyncClient, idp: TestIdentityProvider, prefix: str, settings: VaultSettings
) -> list[str]:
    try:
        from kho_signature.testing import async_sign_as, build_test_pki, make_pdf
    except ImportError:
        return ["add until active: skipped (the signature service is not installed)"]
    work = Path(tempfile.mkdtemp(prefix="vault-bench-"))
    # Blocking work runs off the event loop: the vault's consumers live on it and must keep their heartbeats.
    pki = await asyncio.to_thread(build_test_pki, work / "pki")
    env = {
        "KHO_ENVIRONMENT": "test",
        "KHO_KAFKA_TOPIC_PREFIX": prefix,
        "KHO_S3_BUCKET_PREFIX": settings.s3_bucket_prefix,
        "KHO_MONGO_DATABASE": f"{args.db}_signature",
        "KHO_OIDC_JWKS_FILE": str(idp.jwks_file),
        "KHO_OIDC_ISSUER": idp.issuer,
        "KHO_OIDC_AUDIENCE": idp.audience,
        "KHO_LOG_LEVEL": "WARNING",
        "KHO_SIGNATURE_REVOCATION_DIR": str(work / "revocation"),
        **pki.service_env(),
    }
    signature = ServiceProcess("signature", free_port(), env, work / "signature.log").start()
    try:
        await asyncio.to_thread(signature.wait_ready, 120)
        owner = f"05209{random.randrange(10**7):07d}"  # a new vault each run: the loaded data is reused
        auth = idp.citizen(owner)
        pdfs = [
            await async_sign_as(pki, "gov-agency", make_pdf(2, size=1024 * 1024)) for _ in range(args.add_samples + 2)
        ]
        times, posts, inside = [], [], []
        for n, pdf in enumerate(pdfs):
            t = time.perf_counter()
            response = await client.post(
                "/v1/documents",
                data={"document_type": "issued_result", "category_code": "GKS", "name": "Giấy khai sinh"},
                files={"file": ("kq.pdf", pdf, "application/pdf")},
                headers=auth,
            )
            assert response.status_code == 202, response.text
            posted = (time.perf_counter() - t) * 1000
            document_id = response.json()["document_id"]
            while True:
                status = (await client.get(f"/v1/documents/{document_id}", headers=auth)).json()["status"]
                if status != "pending_verification":
                    break
                await asyncio.sleep(0.01)
            assert status == "active", status
            if n >= 2:  # the first two warm up the consumers
                times.append((time.perf_counter() - t) * 1000)
                posts.append(posted)
                doc = (await client.get(f"/v1/documents/{document_id}", headers=auth)).json()
                added = datetime.fromisoformat(doc["versions"][0]["added_at"])
                decided = datetime.fromisoformat(doc["verdict"]["at"])
                inside.append((decided - added).total_seconds() * 1000)
        handler = signature_handler_mean_ms(signature)
        return [
            summary(f"add 1 MB signed PDF until active ({len(pdfs[0]) // 1024} KB)", times, 500),
            f"  signature service: mean time in its DocumentUploaded handler {handler:.0f} ms (from its /metrics)",
            summary("  of which: POST until 202", posts),
            summary("  of which: stored → verdict applied", inside),
        ]
    finally:
        signature.stop()


def signature_handler_mean_ms(signature: ServiceProcess) -> float:
    text = httpx.get(f"{signature.url}/metrics", timeout=10).text
    total = count = 0.0
    for line in text.splitlines():
        if line.startswith("kho_event_handler_seconds_") and "document.uploaded" in line:
            name, value = line.rsplit(" ", 1)
            if name.startswith("kho_event_handler_seconds_sum"):
                total += float(value)
            elif name.startswith("kho_event_handler_seconds_count"):
                count += float(value)
    return total / count * 1000 if count else float("nan")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--owners", type=int, default=200_000)
    parser.add_argument("--docs-per-owner", type=int, default=5)
    parser.add_argument("--shards", type=int, default=1024)
    parser.add_argument("--queries", type=int, default=200, help="queries per measured operation")
    parser.add_argument("--add-samples", type=int, default=20)
    parser.add_argument("--db", default="", help="database (default: named after the sizes; reused if loaded)")
    parser.add_argument("--skip-add", action="store_true")
    parser.add_argument("--drop", action="store_true", help="drop the benchmark collections at the end")
    args = parser.parse_args()

    total = args.owners * args.docs_per_owner
    print(f"vault benchmark: {total} documents over {args.owners} owners, {args.shards} shards "
          f"({args.owners / args.shards:.0f} owners per shard)")  # fmt: skip
    args.db = args.db or f"kho_vault_bench_packed_{args.owners}_{args.docs_per_owner}_{args.shards}"
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient("mongodb://127.0.0.1:27017/")
    loaded = await client[args.db]["bench_meta"].find_one({"_id": "loaded"})
    await client.close()
    if loaded:
        print(f"reusing the data loaded earlier into {args.db}")
    else:
        seconds = await load(args.db, args.owners, args.docs_per_owner, args.shards)
        print(f"loaded in {seconds:.0f} s ({total / seconds:.0f} documents/s)")
        client = AsyncMongoClient("mongodb://127.0.0.1:27017/")
        await client[args.db]["bench_meta"].insert_one({"_id": "loaded", "at": datetime.now(UTC)})
        await client.close()
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    with tempfile.TemporaryDirectory() as tmp:
        idp = TestIdentityProvider(Path(tmp))
        try:
            await measure(args, idp, prefix)
        finally:
            await remove_run_topics(prefix)
    if args.drop:  # collection by collection: dropping a whole database deletes a file FerretDB may have mapped
        client = AsyncMongoClient("mongodb://127.0.0.1:27017/")
        for name in await client[args.db].list_collection_names():
            await client[args.db].drop_collection(name)
        await client.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
