"""What the notify service does with each event it consumes: one handler for every event that tells
someone something (domain/notices.py says whom and what)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kho_platform.consumer import Delivery, Subscription

from kho_notify.domain.notices import COMPOSERS

if TYPE_CHECKING:
    from kho_notify.app import Notify

notifications = Subscription("notifications")


async def notify(deps: Notify, delivery: Delivery) -> None:
    await deps.dispatcher.handle(delivery)


for _event_type in COMPOSERS:
    notifications.on(_event_type)(notify)
