"""The notify service: tells citizens, organizations and agencies what happened, on Zalo, SMS, e-mail and
the portal's in-app inbox. The composition root: settings -> adapters -> dispatcher -> consumer and API."""

from __future__ import annotations

import contextlib
import socket
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from kho_contracts.events import NotificationDelivered, NotificationFailed
from kho_platform.service import Runtime, ServiceDefinition, create_service_app

from kho_notify.adapters import inbox as inbox_module
from kho_notify.adapters import recipients as recipients_module
from kho_notify.adapters import store as store_module
from kho_notify.adapters.inbox import Inbox
from kho_notify.adapters.outbox import DeliveryOutbox
from kho_notify.adapters.providers import EmailSender, Sender, SmsSender, ZaloSender
from kho_notify.adapters.recipients import Recipients
from kho_notify.adapters.store import DeliveryStore
from kho_notify.dispatcher import Dispatcher
from kho_notify.domain.recipients import Channel
from kho_notify.entrypoints.api import routers
from kho_notify.handlers import notifications
from kho_notify.settings import NotifySettings


@dataclass
class Notify:
    """What the consumer and the HTTP API work with."""

    settings: NotifySettings
    store: DeliveryStore
    inbox: Inbox
    recipients: Recipients
    outbox: DeliveryOutbox
    dispatcher: Dispatcher
    senders: dict[Channel, Sender]


def make_deps(runtime: Runtime) -> Notify:
    settings = runtime.settings
    assert isinstance(settings, NotifySettings)
    store = DeliveryStore(runtime.db)
    inbox = Inbox(runtime.db)
    recipients = Recipients(runtime.db, tuple(settings.default_channels), settings.contact_cache_seconds)
    outbox = DeliveryOutbox(store, runtime.publish_many)
    senders: dict[Channel, Sender] = {}
    configured = settings.configured_channels()
    if Channel.ZALO in configured:
        senders[Channel.ZALO] = ZaloSender(settings)
    if Channel.SMS in configured:
        senders[Channel.SMS] = SmsSender(settings)
    if Channel.EMAIL in configured:
        senders[Channel.EMAIL] = EmailSender(settings)
    instance_id = f"{socket.gethostname()}:{uuid.uuid4().hex[:12]}"
    dispatcher = Dispatcher(settings, store, outbox, inbox, recipients, senders, runtime.record, instance_id)
    return Notify(settings, store, inbox, recipients, outbox, dispatcher, senders)


async def heartbeat(runtime: Runtime, deps: Any) -> None:
    notify: Notify = deps
    try:
        await notify.dispatcher.keep_beating()
    finally:
        for sender in notify.senders.values():
            with contextlib.suppress(Exception):
                await sender.close()


async def relay_outcomes(runtime: Runtime, deps: Any) -> None:
    notify: Notify = deps
    try:
        await notify.outbox.run()
    finally:
        notify.outbox.stop()


definition = ServiceDefinition(
    name="notify",
    title="Kho dữ liệu: notify service",
    description="Notifications on every channel: Zalo, SMS, e-mail and the in-app inbox.",
    produces=(NotificationDelivered, NotificationFailed),
    subscriptions=(notifications,),
    indexes=(*store_module.INDEXES, *inbox_module.INDEXES, *recipients_module.INDEXES),
    routers=routers,
    make_deps=make_deps,
    background=(heartbeat, relay_outcomes),
)


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    notifications.max_in_flight = settings.consumer_max_in_flight
    notifications.consumers = settings.consumer_count
    return create_service_app(definition, settings)


__all__ = ["Notify", "create_app", "definition"]
