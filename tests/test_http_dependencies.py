"""Every dependency of every HTTP route is a coroutine: FastAPI runs a plain function dependency in its
thread pool, a thread hop per request per dependency, which under load cost more than many handlers."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from kho_feedback.entrypoints.api import router as feedback_router
from kho_notify.entrypoints.api import routers as notify_routers
from kho_signature.api import router as signature_router
from kho_submission.entrypoints.api import ROUTERS as submission_routers
from kho_vault.entrypoints.api import router as vault_router

ROUTERS = {
    "vault": (vault_router,),
    "signature": (signature_router,),
    "submission": submission_routers,
    "feedback": (feedback_router,),
    "notify": notify_routers,
}


def dependencies(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from dependencies(sub)


@pytest.mark.parametrize("service", list(ROUTERS))
def test_route_dependencies_never_run_in_the_thread_pool(service: str) -> None:
    sync = {
        f"{route.path}: {getattr(call, '__qualname__', call)}"
        for router in ROUTERS[service]
        for route in router.routes
        if isinstance(route, APIRoute)
        for call in dependencies(route.dependant)
        if call is not None and not inspect.iscoroutinefunction(call) and not inspect.isclass(call)
    }
    assert not sync, f"plain function dependencies (run in the thread pool): {sorted(sync)}"
