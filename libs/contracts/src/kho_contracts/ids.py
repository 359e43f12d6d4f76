"""UUID strings made without the `uuid` module's objects: every event carries a random id, and services derive
ids from names (uuid5) several times per event. `str(uuid.uuid5(...))` builds a UUID object from an int on
the way, about three times the cost of hashing and formatting the bytes directly. Same values, same format."""

from __future__ import annotations

import hashlib
import os
import uuid


def _formatted(raw: bytearray, version: int) -> str:
    raw[6] = (raw[6] & 0x0F) | (version << 4)
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 4122 variant
    x = raw.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def random_uuid() -> str:
    """Equivalent to `str(uuid.uuid4())`."""
    return _formatted(bytearray(os.urandom(16)), 4)


def name_uuid(namespace: uuid.UUID, name: str) -> str:
    """Equivalent to `str(uuid.uuid5(namespace, name))`."""
    return _formatted(bytearray(hashlib.sha1(namespace.bytes + name.encode()).digest()[:16]), 5)  # noqa: S324
