"""Event contracts shared by every service: the CloudEvents envelope and one model per event."""

from kho_contracts.base import Event, event_class, event_types, schema_of
from kho_contracts.envelope import Envelope, EnvelopeError, KafkaRecord, decode, encode, new_envelope

__all__ = [
    "Envelope",
    "EnvelopeError",
    "Event",
    "KafkaRecord",
    "decode",
    "encode",
    "event_class",
    "event_types",
    "new_envelope",
    "schema_of",
]
