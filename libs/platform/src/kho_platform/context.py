"""The correlation of the work in progress: set from an HTTP request or a Kafka message, read by the outbox
when it writes new events, so that one flow can be followed across services."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import structlog


@dataclass(frozen=True)
class Correlation:
    correlation_id: str
    causation_id: str | None = None


_current: ContextVar[Correlation | None] = ContextVar("kho_correlation", default=None)


def current_correlation() -> Correlation:
    found = _current.get()
    return found if found is not None else Correlation(correlation_id=str(uuid.uuid4()))


@contextmanager
def correlated(correlation_id: str, causation_id: str | None = None) -> Iterator[Correlation]:
    value = Correlation(correlation_id, causation_id)
    token = _current.set(value)
    with structlog.contextvars.bound_contextvars(correlation_id=correlation_id, causation_id=causation_id):
        try:
            yield value
        finally:
            _current.reset(token)
