"""Fixtures of the cross-service tests: services started as their own processes against the real servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kho_platform.processes import ServiceProcess, free_port


@pytest.fixture(scope="session")
def service_env(base_env: dict[str, str], run_id: str) -> Callable[[str], dict[str, str]]:
    def make(name: str) -> dict[str, str]:
        return {**base_env, "KHO_MONGO_DATABASE": f"t{run_id}_{name}"}

    return make


@pytest.fixture(scope="session")
def start_service(
    service_env: Callable[[str], dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., ServiceProcess]]:
    """start_service("notify", **extra_env) -> a running, ready service process (stopped at the end)."""
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
