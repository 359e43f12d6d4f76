"""CloudEvents 1.0 in Kafka binary mode.

The event attributes travel as `ce_*` headers (with the correlation extension: `ce_correlationid` is the id of
the first request of a flow, `ce_causationid` the id of the event that caused this one); the body is the
event data as JSON. See https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from kho_contracts.base import Event, event_class
from kho_contracts.ids import random_uuid

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


class Envelope(BaseModel):
    """The CloudEvents attributes of one message."""

    model_config = ConfigDict(frozen=True)

    id: str
    source: str
    type: str
    specversion: str = SPEC_VERSION
    time: datetime
    subject: str | None = None
    datacontenttype: str = CONTENT_TYPE
    correlationid: str
    causationid: str | None = None


@dataclass(frozen=True)
class KafkaRecord:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class EnvelopeError(ValueError):
    """A message that cannot be read as a platform event; `reason` says why (it goes to the dead letter)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_envelope(
    event: Event,
    *,
    source: str,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    event_id: str | None = None,
    time: datetime | None = None,
) -> Envelope:
    eid = event_id or random_uuid()
    return Envelope(
        id=eid,
        source=source,
        type=event.TYPE,
        time=time or datetime.now(UTC),
        subject=event.subject(),
        correlationid=correlation_id or eid,
        causationid=causation_id,
    )


_HEADER_ATTRIBUTES = tuple(
    (name, f"ce_{name}") for name in Envelope.model_fields if name != "datacontenttype"
)  # every event of every service goes through here: no model_dump per message


def envelope_headers(envelope: Envelope) -> list[tuple[str, bytes]]:
    headers = [("content-type", envelope.datacontenttype.encode())]
    for name, header in _HEADER_ATTRIBUTES:
        value = getattr(envelope, name)
        if value is None:
            continue
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        headers.append((header, text.encode()))
    return headers


def encode(event: Event, envelope: Envelope, *, topic_prefix: str = "") -> KafkaRecord:
    return KafkaRecord(
        topic=f"{topic_prefix}{event.TOPIC}",
        key=event.key().encode(),
        value=event.model_dump_json().encode(),
        headers=envelope_headers(envelope),
    )


def read_envelope(headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...]) -> Envelope:
    attrs: dict[str, Any] = {}
    for name, raw in headers:
        if name.startswith("ce_"):
            try:
                attrs[name[3:]] = raw.decode()
            except UnicodeDecodeError as exc:
                raise EnvelopeError(f"header {name} is not UTF-8") from exc
    missing = [a for a in ("id", "source", "type", "specversion", "time") if a not in attrs]
    if missing:
        raise EnvelopeError(f"not a CloudEvents binary-mode message: missing ce_{', ce_'.join(missing)}")
    if attrs["specversion"] != SPEC_VERSION:
        raise EnvelopeError(f"unsupported CloudEvents specversion {attrs['specversion']}")
    attrs.setdefault("correlationid", attrs["id"])
    try:
        return Envelope.model_validate(attrs)
    except ValidationError as exc:
        raise EnvelopeError(f"invalid CloudEvents attributes: {exc.errors()[0]['msg']}") from exc


def decode(headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], value: bytes) -> tuple[Envelope, Event]:
    """Reads one Kafka message as a platform event, or raises EnvelopeError with the reason."""
    envelope = read_envelope(headers)
    cls = event_class(envelope.type)
    if cls is None:
        raise EnvelopeError(f"unknown event type {envelope.type}")
    try:
        return envelope, cls.model_validate_json(value)  # parsed and validated in one pass
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise EnvelopeError(f"body is not valid JSON: {first['msg']}") from exc
        where = ".".join(str(p) for p in first["loc"])
        raise EnvelopeError(f"body does not match {envelope.type}: {where}: {first['msg']}") from exc
