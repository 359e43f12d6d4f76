"""Signature service benchmark: prints numbers.

* validating a 1 MB single-signature B-LT PDF with revocation data cached: the service engine
  (kho_signature.validation.engine.validate) side by side with a bare pyHanko validate_pdf_signature on the
  same file (same trust roots, same revocation data), p50/p95 and validations/s on one core. The engine is
  measured warm (its per-process cache of paths found unrevoked is filled, as in a running service) and
  cold (a new engine context per validation: every revocation check done again). Bare pyHanko is measured
  in a separate process as shipped, and in this process, where the engine's library speed-ups (faster hex
  strings, memoized name preparation) are installed and help it too;
* throughput through the worker pool with 1 and 2 worker processes;
* signing a 5-page certified copy (certifying, B-LT, visible stamp) with a local timestamper, p95.

Run: uv run python bench/signature_bench.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from kho_signature.revocation import RevocationCache, RevocationSnapshot
from kho_signature.signing.signer import SignatureOptions, async_sign_pdf
from kho_signature.signing.stamp import StampText
from kho_signature.testing import build_test_pki, make_pdf, material_for, signer_for
from kho_signature.testing.signing import async_sign_as
from kho_signature.trust import TrustStore
from kho_signature.validation.engine import EngineContext, Limits, validate
from kho_signature.validation.pool import ValidationPool, WorkerConfig
from proc_cpu import children_seconds
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(v: float) -> str:
    return f"{v * 1000:7.1f} ms"


_STOCK = r"""
import io, sys, time, json
from asn1crypto import crl, ocsp, pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
args = json.loads(sys.argv[1])
def certs(path):
    return [x509.Certificate.load(d) for _, _, d in pem.unarmor(open(path, "rb").read(), multiple=True)]
signed = open(args["pdf"], "rb").read()
crls = [crl.CertificateList.load(bytes.fromhex(h)) for h in args["crls"]]
ocsps = [ocsp.OCSPResponse.load(bytes.fromhex(h)) for h in args["ocsps"]]
roots, inter = certs(args["roots"]), certs(args["inter"])
def once():
    r = PdfFileReader(io.BytesIO(signed)); sig = r.embedded_signatures[0]
    vc = ValidationContext(trust_roots=roots, other_certs=inter, crls=crls, ocsps=ocsps, allow_fetching=False)
    assert validate_pdf_signature(sig, vc).bottom_line
for _ in range(5): once()
out = []
for _ in range(args["rounds"]):
    t = time.perf_counter(); once(); out.append(time.perf_counter() - t)
print(json.dumps(out))
"""


def _stock_pyhanko(pdf: Path, pki: Any, crls: list[bytes], ocsps: list[bytes], rounds: int) -> list[float]:
    """Bare pyHanko in a fresh interpreter that never imports the service (no speed-ups installed)."""
    arg = json.dumps(
        {
            "pdf": str(pdf),
            "crls": [c.hex() for c in crls],
            "ocsps": [o.hex() for o in ocsps],
            "roots": str(pki.government_anchors),
            "inter": str(pki.intermediates),
            "rounds": rounds,
        }
    )
    done = subprocess.run([sys.executable, "-c", _STOCK, arg], capture_output=True, text=True, check=True)
    values: list[float] = json.loads(done.stdout.strip().splitlines()[-1])
    return values


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--sign-rounds", type=int, default=40)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kho-sig-bench-"))
    print("building the test PKI ...", flush=True)
    pki = build_test_pki(work / "pki")
    material = material_for(pki)
    pdf = make_pdf(1, size=1_000_000)
    signed = asyncio.run(async_sign_as(pki, "gov-agency", pdf, level="B-LT", material=material))
    print(f"file: {len(signed)} bytes, single signature, B-LT")

    trust = TrustStore.from_files([pki.government_anchors], [pki.public_anchors], [pki.intermediates])
    policy = trust.policy("government-result")
    crls, ocsps = pki.revocation_material()
    snapshot = RevocationSnapshot(
        "bench",
        tuple(asn1_crl.CertificateList.load(c) for c in crls),
        tuple(asn1_ocsp.OCSPResponse.load(o) for o in ocsps),
    )
    ctx = EngineContext(trust)

    def engine_once() -> None:
        report, _ = validate(signed, policy, ctx, snapshot)
        assert report.indication.value == "TOTAL_PASSED", report.message_en

    def bare_once() -> None:
        reader = PdfFileReader(io.BytesIO(signed))
        sig = reader.embedded_signatures[0]
        vc = ValidationContext(
            trust_roots=trust.roots_for(policy),
            other_certs=trust.intermediates,
            crls=list(snapshot.crls),
            ocsps=list(snapshot.ocsps),
            allow_fetching=False,
        )
        status = validate_pdf_signature(sig, vc)
        assert status.bottom_line

    def engine_cold() -> None:
        report, _ = validate(signed, policy, EngineContext(trust), snapshot)
        assert report.indication.value == "TOTAL_PASSED", report.message_en

    pdf_path = work / "blt.pdf"
    pdf_path.write_bytes(signed)
    stock_t = _stock_pyhanko(pdf_path, pki, crls, ocsps, args.rounds)

    for fn in (engine_once, engine_cold, bare_once):
        for _ in range(5):
            fn()
    warm_t: list[float] = []
    cold_t: list[float] = []
    bare_t: list[float] = []
    for _ in range(args.rounds):  # interleaved, side by side in one run
        for fn, out in ((engine_once, warm_t), (engine_cold, cold_t), (bare_once, bare_t)):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    print("\nvalidation, one process (one core), revocation cached:")

    def line(name: str, values: list[float]) -> None:
        print(
            f"  {name:34} p50 {ms(pct(values, 0.5))}  p95 {ms(pct(values, 0.95))}  "
            f"{1 / statistics.mean(values):6.1f} validations/s"
        )

    line("service engine, warm", warm_t)
    line("service engine, cold", cold_t)
    line("bare pyHanko, as shipped (own proc)", stock_t)
    line("bare pyHanko, with the speed-ups", bare_t)
    for name, values in (("warm", warm_t), ("cold", cold_t)):
        print(
            f"  ratio engine {name} / bare as shipped:  p50 {pct(values, 0.5) / pct(stock_t, 0.5):5.2f}x   "
            f"/ bare with speed-ups: p50 {pct(values, 0.5) / pct(bare_t, 0.5):5.2f}x"
        )
    print("  (the engine also checks coverage and trailing bytes, scans stream sizes, writes the ETSI XML)")

    cache = RevocationCache(work / "revocation")
    cache.put_many(crls, ocsps)
    for workers in (1, 2):
        config = WorkerConfig(
            (str(pki.government_anchors),),
            (str(pki.public_anchors),),
            (str(pki.intermediates),),
            str(cache.directory),
            Limits(),
        )

        async def run_pool(n: int = workers, cfg: WorkerConfig = config) -> tuple[float, int, float]:
            pool = ValidationPool(cfg, workers=n)
            await pool.start()
            for _ in range(3 * n):
                await pool.validate(signed, "government-result")
            total = max(100, args.rounds // 2)
            sem = asyncio.Semaphore(n * 2)

            async def one() -> None:
                async with sem:
                    report, _ = await pool.validate(signed, "government-result")
                    assert report.indication.value == "TOTAL_PASSED"

            cpu, t = children_seconds(os.getpid()), time.perf_counter()
            await asyncio.gather(*(one() for _ in range(total)))
            elapsed, cpu = time.perf_counter() - t, children_seconds(os.getpid()) - cpu
            await pool.close()
            return elapsed, total, cpu

        elapsed, total, cpu = asyncio.run(run_pool())
        print(
            f"  worker pool, {workers} process(es): {total / elapsed:6.1f} validations/s "
            f"({total} files in {elapsed:.1f} s, including transfer to the workers); "
            f"the workers' CPU: {cpu * 1000 / total:.1f} ms a validation = {total / cpu:.1f} validations/s per core"
        )

    copy = make_pdf(5, lines=("Ban sao dien tu duoc chung thuc tu ban chinh",))
    stamp = StampText(
        "BẢN SAO ĐIỆN TỬ ĐƯỢC CHỨNG THỰC TỪ BẢN CHÍNH",
        ("Số chứng thực: 125/2026/SCT-BS", "Ngày chứng thực: 05/03/2026"),
    )
    options = SignatureOptions(level="B-LT", certify=True, stamp=stamp, reason="Chứng thực bản sao")
    signer = signer_for(pki, "gov-agency")
    chain = pki.chain("gov-agency")

    async def sign_rounds() -> list[float]:
        for _ in range(3):
            await async_sign_pdf(copy, signer, chain, material, options)
        times = []
        for _ in range(args.sign_rounds):
            t = time.perf_counter()
            await async_sign_pdf(copy, signer, chain, material, options)
            times.append(time.perf_counter() - t)
        return times

    sign_t = asyncio.run(sign_rounds())
    print("\nsigning a 5-page certified copy (certifying, B-LT, stamp, local timestamper):")
    print(f"  p50 {ms(pct(sign_t, 0.5))}  p95 {ms(pct(sign_t, 0.95))}")


if __name__ == "__main__":
    main()
