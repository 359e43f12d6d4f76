"""Fixtures of the cross-service tests: services started as their own processes against the real servers.

Each test module gets a namespace of its own (Kafka topic prefix, database names, bucket prefix), so the
services one module starts never read another module's events or data; they are stopped when it ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kho_platform.processes import ServiceProcess, free_port


@pytest.fixture(scope="module")
def test_topic_prefix(topic_prefix: str) -> str:
    """The Kafka topic prefix of this test module's services."""
    return f"{topic_prefix}{uuid.uuid4().hex[:6]}."


@pytest.fixture(scope="module")
def service_env(base_env: dict[str, str], run_id: str, test_topic_prefix: str) -> Callable[[str], dict[str, str]]:
    namespace = test_topic_prefix.rstrip(".").rsplit(".", 1)[-1]

    def make(name: str) -> dict[str, str]:
        return {
            **base_env,
            "KHO_KAFKA_TOPIC_PREFIX": test_topic_prefix,
            "KHO_MONGO_DATABASE": f"t{run_id}_{namespace}_{name}",
            "KHO_S3_BUCKET_PREFIX": f"t{run_id}-{namespace}-",
            # Events reach Kafka because each writer names its document to the outbox relay; the relay's scan
            # (for what a crash left behind) runs at start and then too seldom to hide a writer that forgot.
            "KHO_OUTBOX_POLL_SECONDS": "120",
        }

    return make


@pytest.fixture(scope="module")
def start_service(
    service_env: Callable[[str], dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., ServiceProcess]]:
    """start_service("notify", **extra_env) -> a running, ready service process (stopped after the module)."""
    started: list[ServiceProcess] = []
    logs = tmp_path_factory.mktemp("service-logs")

    def start(name: str, wait: bool = True, **extra_env: str) -> ServiceProcess:
        env = {**service_env(name), **extra_env}
        proc = ServiceProcess(name, free_port(), env, Path(logs) / f"{name}-{len(started)}.log").start()
        started.append(proc)
        if wait:
            proc.wait_ready()
        return proc

    yield start
    for proc in started:
        proc.stop()
