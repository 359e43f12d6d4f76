"""Base class of every event of the platform and the registry of event types."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

TYPE_PREFIX = "vn.gov.kho"


class Event(BaseModel):
    """The data of one event: the body of a Kafka message whose attributes travel in `ce_*` headers.

    Each subclass names its CloudEvents type (with a major version), its topic, the field whose value is the
    Kafka key (the aggregate id, so that events about one thing stay in order), the service that produces it
    and the services that consume it. Consumers ignore unknown fields; changes inside a version are additive.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    TYPE: ClassVar[str]
    TOPIC: ClassVar[str]
    KEY_FIELD: ClassVar[str]
    PRODUCER: ClassVar[str]
    CONSUMERS: ClassVar[tuple[str, ...]] = ()

    def key(self) -> str:
        return str(getattr(self, self.KEY_FIELD))

    def subject(self) -> str:
        return self.key()

    @classmethod
    def meaning(cls) -> str:
        return " ".join((cls.__doc__ or "").split())


_REGISTRY: dict[str, type[Event]] = {}


def register(cls: type[Event]) -> type[Event]:
    """Class decorator: makes an event type known to decoders, schema export and documentation."""
    for attr in ("TYPE", "TOPIC", "KEY_FIELD", "PRODUCER"):
        if not getattr(cls, attr, None):
            raise TypeError(f"{cls.__name__} lacks {attr}")
    if not cls.TYPE.startswith(TYPE_PREFIX + ".") or not cls.TYPE.rsplit(".", 1)[-1].startswith("v"):
        raise TypeError(f"{cls.__name__}.TYPE must look like {TYPE_PREFIX}.<area>.<name>.v<major>")
    if cls.KEY_FIELD not in cls.model_fields:
        raise TypeError(f"{cls.__name__}.KEY_FIELD {cls.KEY_FIELD!r} is not a field")
    if cls.TYPE in _REGISTRY and _REGISTRY[cls.TYPE] is not cls:
        raise TypeError(f"event type {cls.TYPE} registered twice")
    _REGISTRY[cls.TYPE] = cls
    return cls


def event_types() -> dict[str, type[Event]]:
    from kho_contracts import events  # noqa: F401  (importing registers every event)

    return dict(_REGISTRY)


def event_class(type_: str) -> type[Event] | None:
    return event_types().get(type_)


def schema_of(cls: type[Event]) -> dict[str, Any]:
    schema = cls.model_json_schema(mode="serialization")
    schema["$id"] = f"https://kho.gov.vn/schemas/{cls.TYPE}.json"
    schema["x-cloudevents-type"] = cls.TYPE
    schema["x-kafka-topic"] = cls.TOPIC
    schema["x-kafka-key"] = cls.KEY_FIELD
    return schema
