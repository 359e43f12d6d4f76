"""Validation in killable worker processes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from kho_contracts.common import Indication
from kho_signature.revocation import RevocationCache
from kho_signature.signing.signer import SigningMaterial
from kho_signature.testing import async_sign_as, make_pdf
from kho_signature.testing.pki import TestPki
from kho_signature.validation.engine import Limits
from kho_signature.validation.pool import ValidationPool, WorkerConfig


def _config(pki: TestPki, tmp_path: Path, limits: Limits) -> WorkerConfig:
    cache = RevocationCache(tmp_path / "rev")
    return WorkerConfig(
        (str(pki.government_anchors),),
        (str(pki.public_anchors),),
        (str(pki.intermediates),),
        str(cache.directory),
        limits,
    )


def test_worker_over_its_time_is_killed_and_replaced(pki: TestPki, material: SigningMaterial, tmp_path: Path) -> None:
    signed = asyncio.run(async_sign_as(pki, "gov-agency", make_pdf(1, size=2_000_000), level="B-LT", material=material))

    async def scenario() -> None:
        slow = ValidationPool(_config(pki, tmp_path, Limits(cpu_seconds=0.01)), workers=1, timeout_margin=0.0)
        await slow.start()
        try:
            report, xml = await slow.validate(signed, "government-result")
            assert report.indication == Indication.INDETERMINATE and "CPU time" in report.message_en
            assert slow.killed == 1 and "indeterminate" in xml
        finally:
            await slow.close()
        normal = ValidationPool(_config(pki, tmp_path, Limits()), workers=2)
        await normal.start()
        try:
            results = await asyncio.gather(*(normal.validate(signed, "government-result") for _ in range(4)))
            assert all(r.indication == Indication.TOTAL_PASSED for r, _ in results)
            garbage, _ = await normal.validate(b"%PDF-1.7 garbage", "government-result")
            assert garbage.sub_indication == "FORMAT_FAILURE"
        finally:
            await normal.close()

    asyncio.run(scenario())
