"""A service whose servers are down starts anyway, says it is not ready, and becomes ready when they return."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from kho_platform.processes import ServiceProcess, free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def ferretdb_binary() -> str:
    out = subprocess.run(
        ["bash", "-c", "source deploy/local/env.sh && echo $FERRETDB_BIN"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def readiness(service: ServiceProcess) -> tuple[int, dict[str, str]]:
    response = httpx.get(f"{service.url}/readyz", timeout=5)
    return response.status_code, response.json()["checks"]


def test_service_recovers_when_the_database_comes_back(
    start_service: Callable[..., ServiceProcess], tmp_path: Path
) -> None:
    db_port = free_port()
    service = start_service("notify", wait=False, KHO_MONGO_URL=f"mongodb://127.0.0.1:{db_port}/")
    service.wait_until("/healthz")  # alive at once
    status, checks = readiness(service)
    assert status == 503
    assert checks["database"].startswith("failed") and checks["bootstrap"].startswith("failed")

    (tmp_path / "db").mkdir()
    database = subprocess.Popen(
        [ferretdb_binary(), "--handler=sqlite", f"--sqlite-url=file:{tmp_path / 'db'}/",
         f"--listen-addr=127.0.0.1:{db_port}", "--debug-addr=-", "--telemetry=disable", "--log-level=error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        service.wait_ready(timeout=60)
        status, checks = readiness(service)
        assert status == 200 and set(checks.values()) == {"ok"}
    finally:
        database.terminate()
        database.wait(10)
    deadline = time.monotonic() + 20
    while readiness(service)[0] == 200 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert readiness(service)[1]["database"].startswith("failed")  # and says so when it goes away again


def test_service_without_kafka_is_alive_but_not_ready(start_service: Callable[..., ServiceProcess]) -> None:
    service = start_service("notify", wait=False, KHO_KAFKA_BOOTSTRAP=f"127.0.0.1:{free_port()}")
    service.wait_until("/healthz")
    time.sleep(2)
    status, checks = readiness(service)
    assert status == 503
    assert checks["kafka"].startswith("failed") and checks["database"] == "ok" and checks["object_store"] == "ok"
