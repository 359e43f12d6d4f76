"""The service processes' garbage-collector settings, checked in a fresh interpreter (the test process keeps
Python's defaults)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_served_service_freezes_its_startup_heap_and_collects_young_cycles_less_often() -> None:
    # `serve` is run with uvicorn's server loop replaced by the checks: what it set up before serving is measured
    program = textwrap.dedent(
        """
        import gc
        import uvicorn
        from fastapi import FastAPI
        from prometheus_client import REGISTRY
        from kho_platform.runner import serve
        from kho_platform.settings import PlatformSettings

        def checks(app, **options):
            assert gc.get_threshold()[0] == 20_000, gc.get_threshold()
            assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()

            class Node:
                pass

            for _ in range(1_000):  # cycles, garbage once the loop moves on
                a, b = Node(), Node()
                a.other, b.other = b, a
            del a, b
            assert gc.get_count()[0] >= 2_000, gc.get_count()  # no young collection yet at Python's 700
            assert gc.collect(0) >= 2_000  # still collected
            pauses = REGISTRY.get_sample_value("kho_gc_pause_seconds_count", {"generation": "0"})
            assert pauses and pauses >= 1, pauses
            print("ok")

        uvicorn.run = checks
        serve(FastAPI, PlatformSettings(gc_young_threshold=20_000))
        """
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
