"""Delivering the notices of one event: the in-app inbox, then the external channels in the recipient's
fallback order until one accepts the message.

At most once per (event, recipient, channel):

* the notification (event, recipient) is inserted with its channel plan under an id derived from the event
  id; if it already exists the event is a redelivery and the stored plan is followed again. The notification
  is the in-app message itself (inbox.py): that one insert delivers it in the app;
* before a provider call the delivery is *claimed* (an insert, id derived from the notification and channel;
  the notification's own insert claims the first try on the first channel for the instance that made it);
  after it the outcome is recorded with its NotificationDelivered/Failed event (one insert, outbox.py);
* a redelivered event skips every delivery with an outcome. A claim without an outcome is a delivery whose
  instance died between the provider call and the record (or is still at it): once that instance's
  heartbeat stops, the delivery is *in doubt*. With `resend_in_doubt` (the default) it is sent again with the
  SAME idempotency key (ZNS tracking_id, SMS RequestId, e-mail Message-ID): the SMS gateway refuses a repeated
  RequestId, mail clients fold the same Message-ID; Zalo does not deduplicate, so a crash in that window may
  repeat a Zalo message. Without it, the delivery is recorded as `unknown` and never sent again.

Transient provider failures are retried with exponential backoff and jitter; a channel that refuses the
message or keeps failing hands over to the next one. When every channel failed, the last failure carries the
original event to the dead-letter topic with the reasons.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kho_contracts import Event, KafkaRecord
from kho_contracts.events import NotificationDelivered, NotificationFailed
from kho_contracts.topics import dead_letter_topic
from kho_platform.consumer import Delivery, dead_letter_record
from kho_platform.logging import get_logger, mask_text
from kho_platform.mongo import Document
from prometheus_client import Counter, Histogram

from kho_notify.adapters.inbox import Inbox
from kho_notify.adapters.outbox import DeliveryOutbox
from kho_notify.adapters.providers import MailMessage, Sender, SendResult, SmsMessage, ZaloMessage
from kho_notify.adapters.recipients import Recipients
from kho_notify.adapters.store import DeliveryStore
from kho_notify.domain.ids import delivery_id, notification_id
from kho_notify.domain.notices import Notice, notices_for
from kho_notify.domain.recipients import Channel, RecipientProfile
from kho_notify.domain.templates import render_email, render_sms, render_text, render_zalo
from kho_notify.settings import NotifySettings

log = get_logger(__name__)

OUTCOMES = Counter("kho_notify_deliveries_total", "Delivery outcomes", ["channel", "status"])
PROVIDER_CALLS = Counter("kho_notify_provider_calls_total", "Provider calls", ["channel", "result"])
EVENT_TO_PROVIDER = Histogram(
    "kho_notify_event_to_provider_seconds",
    "From the event's time to the first provider call of a delivery",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

RecordFactory = Callable[[Event], KafkaRecord]


@dataclass(frozen=True)
class InDoubt:
    """What to do with a delivery found claimed but without an outcome."""

    send: bool
    generation: int = 0
    outcome: Document | None = None


class Dispatcher:
    def __init__(
        self,
        settings: NotifySettings,
        store: DeliveryStore,
        outbox: DeliveryOutbox,
        inbox: Inbox,
        recipients: Recipients,
        senders: dict[Channel, Sender],
        record_for: RecordFactory,
        instance_id: str,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.store = store
        self.outbox = outbox
        self.inbox = inbox
        self.recipients = recipients
        self.senders = senders
        self.record_for = record_for
        self.instance_id = instance_id
        self._sleep = sleep
        self._alive = asyncio.Event()
        self._first_beat = asyncio.Lock()
        self._dlq = f"{settings.kafka_topic_prefix}{dead_letter_topic(settings.service_name)}"
        self._channels: dict[str, frozenset[Channel]] = {}

    # --- heartbeat -------------------------------------------------------------------------------
    async def beat(self) -> None:
        await self.store.heartbeat(self.instance_id)
        self._alive.set()

    async def keep_beating(self) -> None:
        while True:
            try:
                await self.beat()
            except Exception as exc:
                log.warning("heartbeat failed", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self.settings.instance_heartbeat_seconds)

    # --- one event -----------------------------------------------------------------------------
    def channels_for(self, kind: str) -> frozenset[Channel]:
        if kind not in self._channels:
            available = set(self.settings.configured_channels() & self.senders.keys())
            if kind not in self.settings.zalo_templates:
                available.discard(Channel.ZALO)
            self._channels[kind] = frozenset(available)  # settings do not change while the service runs
        return self._channels[kind]

    async def handle(self, delivery: Delivery) -> None:
        if not self._alive.is_set():
            async with self._first_beat:  # our claims must never look abandoned
                if not self._alive.is_set():
                    await self.beat()
        notices = notices_for(delivery.event)
        ids = [notification_id(delivery.envelope.id, n.recipient) for n in notices]
        handled = asyncio.ensure_future(self.store.record_handled(delivery.envelope.id, delivery.envelope.type, ids))
        try:
            if len(notices) == 1:  # most events: one notification, in this task
                await self._notify(delivery, notices[0], ids[0])
            else:
                await asyncio.gather(*(self._notify(delivery, n, nid) for n, nid in zip(notices, ids, strict=True)))
        finally:
            await handled

    async def _notify(self, delivery: Delivery, notice: Notice, nid: str) -> None:
        profile = await self.recipients.profile(notice.recipient)
        plan = profile.external_plan(self.channels_for(notice.kind))
        text = render_text(notice.kind, notice.fields)
        notification = {
            "_id": nid,
            "recipient": notice.recipient,
            "kind": notice.kind,
            "data": notice.data,
            "event_id": delivery.envelope.id,
            "event_type": delivery.envelope.type,
            "channels": [Channel.INAPP.value, *(c.value for c in plan)],
            "owner": self.instance_id,
        }
        fresh = await self.inbox.deliver(notification, title=text.title, body=text.body)
        first_claim = None
        if not fresh:
            stored = await self.inbox.notification(nid)
            if stored is not None and "channels" in stored:  # (a message without them predates this record)
                plan = [Channel(c) for c in stored["channels"] if c != Channel.INAPP.value]
                first_claim = {"owner": stored["owner"], "generation": 0, "claimed_at": stored["created_at"]}
        in_app = asyncio.ensure_future(self._in_app(delivery, notice, nid, fresh))
        try:
            await self._external(delivery, notice, nid, profile, plan, fresh, first_claim)
        finally:
            await in_app

    async def _in_app(self, delivery: Delivery, notice: Notice, nid: str, fresh: bool) -> None:
        """The message is in the inbox (the notification's insert); what is left is its outcome and event."""
        did = delivery_id(nid, Channel.INAPP)
        if not fresh and await self.store.outcome(did) is not None:
            return
        await self._record(delivery, notice, nid, did, Channel.INAPP, SendResult.sent(nid), 1, None)

    async def _external(
        self,
        delivery: Delivery,
        notice: Notice,
        nid: str,
        profile: RecipientProfile,
        plan: list[Channel],
        fresh: bool,
        first_claim: Document | None,
    ) -> None:
        failures: list[str] = []
        for position, channel in enumerate(plan):
            did = delivery_id(nid, channel)
            last = position == len(plan) - 1
            if fresh and (position == 0 or await self.store.claim(did, 0, self.instance_id)):
                pass  # the first channel's first try was claimed with the notification
            else:
                implicit = first_claim if position == 0 else None
                decision = await self._settle_in_doubt(delivery, notice, nid, did, channel, implicit)
                if not decision.send:
                    outcome = decision.outcome or {}
                    if outcome.get("status") == "failed":
                        failures.append(f"{channel.value}: {outcome.get('reason')}")
                        continue
                    return  # delivered, or unknown and not to be resent
            message = self._message(channel, notice, profile)
            if message is None:
                result, attempts = SendResult.refused(f"no {channel.value} address or template"), 0
            else:
                EVENT_TO_PROVIDER.labels(channel.value).observe(
                    max(0.0, time.time() - delivery.envelope.time.timestamp())
                )
                result, attempts = await self._send(channel, message, did)
            dead_letter = None
            if not result.ok:
                failures.append(f"{channel.value}: {result.reason}")
                if last:
                    dead_letter = "; ".join(failures)
            await self._record(delivery, notice, nid, did, channel, result, max(1, attempts), dead_letter)
            if result.ok:
                return

    async def _settle_in_doubt(
        self, delivery: Delivery, notice: Notice, nid: str, did: str, channel: Channel, first_claim: Document | None
    ) -> InDoubt:
        while True:
            outcome = await self.store.outcome(did)
            if outcome is not None:
                return InDoubt(send=False, outcome=outcome)
            claim = await self.store.latest_claim(did, first_claim)
            if claim is None:
                if await self.store.claim(did, 0, self.instance_id):
                    return InDoubt(send=True)
                continue
            owner = claim["owner"]
            if owner != self.instance_id and await self.store.is_alive(
                owner, self.settings.instance_dead_after_seconds
            ):
                await self._sleep(0.25)  # its owner is still at it: wait for its outcome
                continue
            if not self.settings.resend_in_doubt:
                result = SendResult(False, reason="outcome unknown after a crash; not sent again")
                await self._record(delivery, notice, nid, did, channel, result, 1, None, status="unknown")
                return InDoubt(send=False, outcome={"status": "unknown"})
            generation = int(claim["generation"]) + 1
            if await self.store.claim(did, generation, self.instance_id):
                log.warning("resending a delivery in doubt", delivery_id=did, channel=channel.value)
                return InDoubt(send=True, generation=generation)

    def _message(self, channel: Channel, notice: Notice, profile: RecipientProfile) -> Any:
        s = self.settings
        if channel is Channel.ZALO and profile.phone and notice.kind in s.zalo_templates:
            return ZaloMessage(profile.phone, s.zalo_templates[notice.kind], render_zalo(notice.kind, notice.fields))
        if channel is Channel.SMS and profile.phone:
            text = render_sms(notice.kind, notice.fields, unicode=s.sms_unicode, max_segments=s.sms_max_segments)
            return SmsMessage(profile.phone, text, s.sms_unicode)
        if channel is Channel.EMAIL and profile.email:
            subject, body = render_email(notice.kind, notice.fields, notice.recipient)
            return MailMessage(profile.email, subject, body)
        return None

    async def _send(self, channel: Channel, message: Any, did: str) -> tuple[SendResult, int]:
        sender = self.senders[channel]
        result = SendResult.retry("not sent")
        for attempt in range(1, self.settings.provider_max_attempts + 1):
            async with sender.limits.call():
                result = await sender.send(message, did)
            PROVIDER_CALLS.labels(
                channel.value, "ok" if result.ok else "transient" if result.transient else "refused"
            ).inc()
            if result.ok or not result.transient:
                return result, attempt
            if attempt < self.settings.provider_max_attempts:
                backoff = self.settings.provider_backoff_seconds * 2 ** (attempt - 1)
                await self._sleep(backoff * (0.5 + random.random()))
        return result, self.settings.provider_max_attempts

    async def _record(
        self,
        delivery: Delivery,
        notice: Notice,
        nid: str,
        did: str,
        channel: Channel,
        result: SendResult,
        attempts: int,
        dead_letter: str | None,
        status: str | None = None,
    ) -> None:
        now = datetime.now(UTC)
        common = {
            "notification_id": nid,
            "source_event_id": delivery.envelope.id,
            "source_event_type": delivery.envelope.type,
            "recipient_id": notice.recipient,
            "channel": channel.value,
            "attempts": attempts,
        }
        event: Event
        if result.ok:
            event = NotificationDelivered(**common, provider_message_id=result.provider_message_id, delivered_at=now)
        else:
            event = NotificationFailed(**common, reason=result.reason or "failed", failed_at=now)
        records = [self.record_for(event)]
        if dead_letter is not None and delivery.record is not None:
            reason = f"notification {nid} failed on every channel: {dead_letter}"
            records.append(dead_letter_record(delivery.record, reason, "notify.notifications", self._dlq))
        final = status or ("delivered" if result.ok else "failed")
        outcome = {
            "_id": did,
            **{k: v for k, v in common.items() if k != "source_event_type"},
            "kind": notice.kind,
            "status": final,
            "provider_message_id": result.provider_message_id,
            "reason": result.reason,
            "dead_lettered": dead_letter is not None,
            "at": now,
        }
        await self.outbox.record(outcome, records)
        OUTCOMES.labels(channel.value, final).inc()
        if result.ok:
            return  # counted in the metrics; one log line per message would cost more than the message
        log.warning(
            "notification " + final,
            notification_id=nid,
            delivery_id=did,
            channel=channel.value,
            attempts=attempts,
            reason=mask_text(result.reason or "") or None,
        )
