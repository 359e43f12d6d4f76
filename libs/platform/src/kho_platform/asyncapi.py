"""The AsyncAPI 3.0 document of a service, generated from its ServiceDefinition: the events it produces
(send operations) and the events its subscriptions handle (receive operations), with their schemas."""

from __future__ import annotations

from typing import Any

from kho_contracts import Event

from kho_platform.service import ServiceDefinition

CLOUDEVENTS_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0 attributes in Kafka binary mode",
    "required": ["ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time"],
    "properties": {
        "ce_id": {"type": "string"},
        "ce_source": {"type": "string"},
        "ce_type": {"type": "string"},
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string"},
        "ce_correlationid": {"type": "string", "description": "id of the first request of the flow"},
        "ce_causationid": {"type": "string", "description": "id of the event that caused this one"},
        "content-type": {"type": "string", "const": "application/json"},
    },
}


def _schemas(classes: list[type[Event]]) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for cls in classes:
        schema = cls.model_json_schema(mode="serialization", ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[cls.__name__] = schema
    return dict(sorted(schemas.items()))


def asyncapi_document(definition: ServiceDefinition, version: str = "1.0.0") -> dict[str, Any]:
    received = sorted({cls for s in definition.subscriptions for cls in s.event_types}, key=lambda c: c.TYPE)
    sent = sorted(set(definition.produces), key=lambda c: c.TYPE)
    classes = sorted(set(received) | set(sent), key=lambda c: c.TYPE)

    channels: dict[str, Any] = {}
    for cls in classes:
        channel = channels.setdefault(cls.TOPIC, {"address": cls.TOPIC, "messages": {}})
        channel["messages"][cls.__name__] = {"$ref": f"#/components/messages/{cls.__name__}"}

    operations: dict[str, Any] = {}
    for action, group in (("send", sent), ("receive", received)):
        for cls in group:
            operations[f"{action}{cls.__name__}"] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{cls.TOPIC}"},
                "messages": [{"$ref": f"#/channels/{cls.TOPIC}/messages/{cls.__name__}"}],
            }

    messages = {
        cls.__name__: {
            "name": cls.TYPE,
            "title": cls.__name__,
            "summary": cls.meaning(),
            "contentType": "application/json",
            "headers": CLOUDEVENTS_HEADERS,
            "payload": {"$ref": f"#/components/schemas/{cls.__name__}"},
            "bindings": {"kafka": {"key": {"type": "string", "description": f"the event's {cls.KEY_FIELD}"}}},
        }
        for cls in classes
    }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": definition.title, "version": version, "description": definition.description},
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "127.0.0.1:9092", "protocol": "kafka"}},
        "channels": dict(sorted(channels.items())),
        "operations": dict(sorted(operations.items())),
        "components": {"messages": messages, "schemas": _schemas(classes)},
    }
