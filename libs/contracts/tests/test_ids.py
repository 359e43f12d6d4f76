"""The fast UUID strings are the standard library's values."""

from __future__ import annotations

import uuid

from kho_contracts.ids import name_uuid, random_uuid

NAMESPACE = uuid.UUID("2f6c8e0a-6d1b-5c3e-9a47-6b0d3c1e8f25")


def test_name_uuids_equal_uuid5() -> None:
    for name in ("", "a", "notification|7c0f|052090000123", "Hồ sơ đã được tiếp nhận" * 20):
        assert name_uuid(NAMESPACE, name) == str(uuid.uuid5(NAMESPACE, name))
        assert name_uuid(uuid.NAMESPACE_URL, name) == str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def test_random_uuids_are_version_4_and_distinct() -> None:
    made = {random_uuid() for _ in range(1000)}
    assert len(made) == 1000
    for text in list(made)[:50]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
