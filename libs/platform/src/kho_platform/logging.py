"""structlog JSON logs with the correlation id bound from HTTP requests and Kafka messages.

Personal data is masked: identity numbers, phone numbers and e-mail addresses never reach the logs in clear.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from kho_platform.context import add_correlation

_PHONE = re.compile(r"(?<!\d)(\+?84|0)(\d{2})\d{4,5}(\d{2})(?!\d)")
_IDENTITY = re.compile(r"(?<!\d)(\d{3})\d{3,6}(\d{3})(?!\d)")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+)")
SECRET_KEYS = {"password", "secret", "token", "authorization", "body", "message_body", "text", "html"}


def mask_text(text: str) -> str:
    text = _EMAIL.sub(r"\1***\2", text)
    text = _PHONE.sub(r"\1\2****\3", text)
    return _IDENTITY.sub(r"\1******\2", text)


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: ("[hidden]" if str(k).lower() in SECRET_KEYS else _mask(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v) for v in value]
    return value


def mask_personal_data(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key in ("timestamp", "level", "logger", "correlation_id", "causation_id", "event_id", "service"):
            continue
        event_dict[key] = "[hidden]" if key.lower() in SECRET_KEYS else _mask(event_dict[key])
    return event_dict


def configure_logging(service: str, level: str = "INFO") -> None:
    """JSON lines on stdout for the service, and the standard library's loggers (uvicorn, aiokafka, pymongo)
    routed through the same processors."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_correlation,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        mask_personal_data,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "pymongo", "urllib3", "faststream"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # One line per request would mostly be health probes; requests are counted in /metrics instead.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
