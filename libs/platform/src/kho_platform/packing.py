"""Packed documents: the fields a collection is filtered, sorted or indexed on stay plain, everything else is
stored as one opaque BSON value.

FerretDB 1.24 converts every field of a document between BSON and its JSONB form on each read and write; a
dossier with ten components and their candidates cost it about 4.4 ms to read, the same document packed
0.9 ms. A packed value of 1 KB or more is compressed (zlib, fastest level): FerretDB stores a binary value as
base64 text in JSONB, so its cost still grew with the bytes; a draft's 5.7 KB became 1 KB, and inserting and
reading 200 drafts took it 0.06 s of CPU instead of 0.17 s. Smaller values are not worth zlib's set-up.

Packing suits aggregates read by `_id` and found by a few top-level fields. Updates of packed fields are
applied in the process (`apply_update`) and written back whole, so the writer must hold the aggregate's lock
(as every writer of a FerretDB 1.24 document must anyway: it loses concurrent updates).
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Iterable
from typing import Any

import bson
from bson import Binary
from bson.codec_options import CodecOptions

from kho_platform.mongo import Document

PACKED = "packed"
ZLIB_BSON = 0x80  # binary subtype (user-defined range) of a zlib-compressed BSON document
COMPRESS_FROM = 1024  # bytes of BSON


class Packing:
    def __init__(self, plain: Iterable[str], codec_options: CodecOptions[Any]) -> None:
        self.plain = frozenset({"_id", *plain})
        self._codec_options = codec_options

    def pack(self, doc: Document) -> Document:
        """The stored form: the plain fields and one BSON value holding the rest."""
        stored = {k: v for k, v in doc.items() if k in self.plain}
        rest = {k: v for k, v in doc.items() if k not in self.plain}
        raw = bson.encode(rest)
        stored[PACKED] = Binary(zlib.compress(raw, 1), ZLIB_BSON) if len(raw) >= COMPRESS_FROM else Binary(raw)
        return stored

    def unpack(self, stored: Document) -> Document:
        """The document as written; a stored document without a packed value is returned as it is."""
        if PACKED not in stored:
            return stored
        value = stored[PACKED]
        raw = zlib.decompress(value) if isinstance(value, Binary) and value.subtype == ZLIB_BSON else bytes(value)
        doc = {k: v for k, v in stored.items() if k != PACKED}
        doc.update(bson.decode(raw, codec_options=self._codec_options))
        return doc

    def unpack_found(self, stored: Document | None) -> Document | None:
        """`unpack` of what a `find_one` found, None when it found nothing."""
        return None if stored is None else self.unpack(stored)

    def projection(self, *fields: str) -> Document:
        """A projection returning `fields`: the plain ones by name, the others through the packed value."""
        wanted = {f: 1 for f in fields if f in self.plain}
        if any(f not in self.plain for f in fields):
            wanted[PACKED] = 1
        return wanted


UPDATE_OPERATORS = ("$set", "$unset", "$push", "$addToSet")


def apply_update(doc: Document, update: Document) -> Document:
    """A copy of `doc` with a MongoDB update of top-level fields applied: `$set`, `$unset`, `$push` (a value
    or `{"$each": [...]}`) and `$addToSet`. Anything else is refused rather than half applied."""
    unknown = set(update) - set(UPDATE_OPERATORS)
    if unknown:
        raise ValueError(f"update operators not supported on packed documents: {sorted(unknown)}")
    fields = [f for changes in update.values() for f in changes]
    if any("." in f or f.startswith("$") for f in fields):
        raise ValueError(f"only top-level fields can be updated on packed documents: {fields}")
    result = copy.deepcopy(doc)
    for field, value in update.get("$set", {}).items():
        result[field] = value
    for field in update.get("$unset", {}):
        result.pop(field, None)
    for field, value in update.get("$push", {}).items():
        items = value["$each"] if isinstance(value, dict) and "$each" in value else [value]
        result[field] = [*(result.get(field) or []), *items]
    for field, value in update.get("$addToSet", {}).items():
        items = value["$each"] if isinstance(value, dict) and "$each" in value else [value]
        current = list(result.get(field) or [])
        for item in items:
            if item not in current:
                current.append(item)
        result[field] = current
    return result
