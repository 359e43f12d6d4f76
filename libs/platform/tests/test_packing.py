from datetime import UTC, datetime

import bson
import pytest
from bson.codec_options import CodecOptions
from kho_platform.packing import PACKED, Packing, apply_update

PACKING = Packing(("status", "owner_id"), CodecOptions(tz_aware=True))


def test_plain_fields_stay_plain_and_the_rest_round_trips() -> None:
    doc = {
        "_id": "d1",
        "status": "draft",
        "owner_id": "052912345678",
        "components": [{"code": "TP01", "candidates": [{"document_id": "x", "score": 50.0}]}],
        "at": datetime(2026, 11, 28, 9, 30, tzinfo=UTC),
    }
    stored = PACKING.pack(doc)
    assert set(stored) == {"_id", "status", "owner_id", PACKED}
    assert PACKING.unpack(stored) == doc


def test_a_document_stored_before_packing_is_read_as_it_is() -> None:
    legacy = {"_id": "d0", "status": "received", "components": []}
    assert PACKING.unpack(legacy) == legacy


def test_projection_asks_for_the_packed_value_only_when_a_packed_field_is_wanted() -> None:
    assert PACKING.projection("status") == {"status": 1}
    assert PACKING.projection("status", "components") == {"status": 1, PACKED: 1}


def test_update_operators_apply_to_a_copy() -> None:
    doc = {"_id": "d1", "status": "draft", "history": [{"action": "created"}], "applied": ["e1"]}
    changed = apply_update(
        doc,
        {
            "$set": {"status": "received"},
            "$push": {"history": {"action": "submit"}, "notes": {"$each": ["a", "b"]}},
            "$addToSet": {"applied": {"$each": ["e1", "e2", "e2"]}},
            "$unset": {"missing": ""},
        },
    )
    assert changed == {
        "_id": "d1",
        "status": "received",
        "history": [{"action": "created"}, {"action": "submit"}],
        "notes": ["a", "b"],
        "applied": ["e1", "e2"],
    }
    assert doc["history"] == [{"action": "created"}] and doc["status"] == "draft"


@pytest.mark.parametrize(
    "update",
    [{"$inc": {"n": 1}}, {"$set": {"components.0.source": "uploaded"}}, {"$pull": {"history": {"a": 1}}}],
)
def test_unsupported_updates_are_refused(update: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        apply_update({"_id": "d1"}, update)


def test_the_packed_value_is_compressed_and_an_uncompressed_one_still_reads() -> None:
    doc = {
        "_id": "d2",
        "status": "draft",
        "components": [{"code": f"TP{i:02d}", "name": "Thành phần"} for i in range(50)],
    }
    stored = PACKING.pack(doc)
    assert len(stored[PACKED]) < len(bson.encode(doc)) / 3
    assert PACKING.unpack(stored) == doc
    plain = {
        "_id": "d2",
        "status": "draft",
        PACKED: bson.encode({"components": doc["components"]}),
    }  # as written before
    assert PACKING.unpack(plain) == doc


def test_a_small_value_is_packed_uncompressed() -> None:
    doc = {"_id": "c1", "status": "sent", "owner": "x", "generation": 0}
    stored = PACKING.pack(doc)
    assert stored[PACKED].subtype == 0 and bytes(stored[PACKED]) == bson.encode({"owner": "x", "generation": 0})
    assert PACKING.unpack(stored) == doc


def test_what_a_find_did_not_find_stays_none() -> None:
    doc = {"_id": "d3", "status": "draft"}
    assert PACKING.unpack_found(None) is None
    assert PACKING.unpack_found(PACKING.pack(doc)) == doc
