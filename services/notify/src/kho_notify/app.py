"""The notify service: tells citizens, organizations and officers what happened (Zalo, SMS, e-mail, in-app)."""

from __future__ import annotations

from fastapi import FastAPI
from kho_platform.service import Runtime, ServiceDefinition, create_service_app

from kho_notify.api import router
from kho_notify.handlers import notifications
from kho_notify.inbox import INDEXES, Inbox
from kho_notify.settings import NotifySettings


def make_deps(runtime: Runtime) -> Inbox:
    return Inbox(runtime.db)


definition = ServiceDefinition(
    name="notify",
    title="Kho dữ liệu: notify service",
    description="Notifications on every channel: Zalo, SMS, e-mail and the in-app inbox.",
    subscriptions=(notifications,),
    indexes=INDEXES,
    routers=(router,),
    make_deps=make_deps,
)


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    return create_service_app(definition, settings or NotifySettings())
