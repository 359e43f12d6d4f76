"""A vault is stored as one packed value and read back unchanged; vaults stored unpacked are still read."""

from __future__ import annotations

from datetime import UTC, datetime

from bson.codec_options import CodecOptions
from kho_platform.packing import PACKED
from kho_vault.adapters.vaults import vault_packing

PACKING = vault_packing(CodecOptions(tz_aware=True, tzinfo=UTC))


def vault() -> dict[str, object]:
    at = datetime(2026, 3, 2, 8, 30, 15, 123000, tzinfo=UTC)
    return {
        "_id": "001099000123",
        "version": 3,
        "owner_name": "Nguyễn Văn An",
        "documents": [{"id": "d1", "name": "Giấy khai sinh", "search": ["giay", "khai", "sinh"], "created_at": at}],
        "received_by": [],
        "outbox": [{"id": "e1", "headers": [{"name": "ce_id", "value": "e1"}]}],
        "outbox_pending": True,
    }


def test_packed_vault_keeps_only_id_and_version_outside_the_packed_value() -> None:
    stored = PACKING.pack(vault())
    assert set(stored) == {"_id", "version", PACKED}
    assert stored["_id"] == "001099000123" and stored["version"] == 3


def test_a_packed_vault_reads_back_unchanged() -> None:
    assert PACKING.unpack(PACKING.pack(vault())) == vault()


def test_a_vault_stored_unpacked_is_read_as_it_is() -> None:
    assert PACKING.unpack(vault()) == vault()
