"""Signature service benchmark: prints numbers.

* validating a 1 MB single-signature B-LT PDF with revocation data cached: the service engine
  (kho_signature.validation.engine.validate) side by side with a bare pyHanko validate_pdf_signature on the
  same file (same trust roots, same revocation data), p50/p95 and validations/s on one core;
* throughput through the worker pool with 1 and 2 worker processes;
* signing a 5-page certified copy (certifying, B-LT, visible stamp) with a local timestamper, p95.

Run: uv run python bench/signature_bench.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import tempfile
import time
from pathlib import Path

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
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(v: float) -> str:
    return f"{v * 1000:7.1f} ms"


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
    snapshot = RevocationSnapshot("bench", tuple(asn1_crl.CertificateList.load(c) for c in crls),
                                  tuple(asn1_ocsp.OCSPResponse.load(o) for o in ocsps))
    ctx = EngineContext(trust)

    def engine_once() -> None:
        report, _ = validate(signed, policy, ctx, snapshot)
        assert report.indication.value == "TOTAL_PASSED", report.message_en

    def bare_once() -> None:
        reader = PdfFileReader(io.BytesIO(signed))
        sig = reader.embedded_signatures[0]
        vc = ValidationContext(trust_roots=trust.roots_for(policy), other_certs=trust.intermediates,
                               crls=list(snapshot.crls), ocsps=list(snapshot.ocsps), allow_fetching=False)
        status = validate_pdf_signature(sig, vc)
        assert status.bottom_line

    for fn in (engine_once, bare_once):
        for _ in range(5):
            fn()
    engine_t: list[float] = []
    bare_t: list[float] = []
    for _ in range(args.rounds):  # interleaved, side by side in one run
        t = time.perf_counter()
        engine_once()
        engine_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        bare_once()
        bare_t.append(time.perf_counter() - t)
    print("\nvalidation, one process (one core), revocation cached:")
    print(f"  service engine      p50 {ms(pct(engine_t, .5))}  p95 {ms(pct(engine_t, .95))}  "
          f"{1 / statistics.mean(engine_t):6.1f} validations/s")
    print(f"  bare pyHanko        p50 {ms(pct(bare_t, .5))}  p95 {ms(pct(bare_t, .95))}  "
          f"{1 / statistics.mean(bare_t):6.1f} validations/s")
    print(f"  ratio engine/bare   p50 {pct(engine_t, .5) / pct(bare_t, .5):5.2f}x  "
          f"mean {statistics.mean(engine_t) / statistics.mean(bare_t):5.2f}x")
    print("  (the engine also writes the ETSI TS 119 102-2 XML report and checks stream sizes)")

    cache = RevocationCache(work / "revocation")
    cache.put_many(crls, ocsps)
    for workers in (1, 2):
        config = WorkerConfig((str(pki.government_anchors),), (str(pki.public_anchors),),
                              (str(pki.intermediates),), str(cache.directory), Limits())

        async def run_pool(n: int = workers, cfg: WorkerConfig = config) -> tuple[float, int]:
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

            t = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(total)))
            elapsed = time.perf_counter() - t
            await pool.close()
            return elapsed, total

        elapsed, total = asyncio.run(run_pool())
        print(f"  worker pool, {workers} process(es): {total / elapsed:6.1f} validations/s "
              f"({total} files in {elapsed:.1f} s, including transfer to the workers)")

    copy = make_pdf(5, lines=("Ban sao dien tu duoc chung thuc tu ban chinh",))
    stamp = StampText("BẢN SAO ĐIỆN TỬ ĐƯỢC CHỨNG THỰC TỪ BẢN CHÍNH",
                      ("Số chứng thực: 125/2026/SCT-BS", "Ngày chứng thực: 05/03/2026"))
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
    print(f"  p50 {ms(pct(sign_t, .5))}  p95 {ms(pct(sign_t, .95))}")


if __name__ == "__main__":
    main()
