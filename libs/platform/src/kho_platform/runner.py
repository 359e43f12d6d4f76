"""Runs a service with uvicorn: `python -m kho_<service>`."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from kho_platform.collector import freeze_startup_heap, relax_collector
from kho_platform.settings import PlatformSettings


def serve(create_app: Callable[[], FastAPI], settings: PlatformSettings) -> None:
    app = create_app()
    relax_collector(settings.gc_young_threshold)
    freeze_startup_heap()  # the modules and the application, built above
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # logging goes through structlog (configure_logging in the app's lifespan)
        access_log=False,
        lifespan="on",
    )
