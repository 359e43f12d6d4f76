"""The notify service, except that the process dies right after its first handler returns, before the
consumer commits the offset: what a crash at the worst moment looks like to Kafka."""

from __future__ import annotations

import os
from typing import Any

from kho_notify.app import create_app
from kho_notify.handlers import notifications
from kho_notify.settings import NotifySettings
from kho_platform.consumer import Delivery
from kho_platform.runner import serve

CRASH_EXIT_CODE = 17


def crash_after(handler: Any) -> Any:
    async def wrapped(deps: Any, delivery: Delivery) -> None:
        await handler(deps, delivery)
        os._exit(CRASH_EXIT_CODE)

    return wrapped


if __name__ == "__main__":
    for event_type, handler in list(notifications.handlers.items()):
        notifications.handlers[event_type] = crash_after(handler)
    settings = NotifySettings()
    serve(lambda: create_app(settings), settings)
