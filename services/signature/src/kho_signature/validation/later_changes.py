"""The difference analysis of what was appended to a file after a signature, with a fast path for the most
common case.

A B-LT file is signed, then gets one more revision holding its validation data: a document security store
(/DSS with certificates, OCSP responses and CRLs), the catalog's new /DSS entry, and perhaps a rewritten
document information dictionary. pyHanko's general analysis proves such a revision harmless by walking the
whole document's object graph in both revisions, which was about a third of a validation. The fast path
recognises exactly that shape and nothing else:

* no freed objects, no hybrid cross-references, the same catalog object in every revision;
* every object written after the signed revision is the catalog, the information dictionary, or an object
  never used before that is reachable from the new /DSS;
* the catalog differs from the one before only by /DSS, which is new (there was none before);
* the DSS and its /VRI entries have only the keys PAdES allows, their data are arrays of streams (told from
  the raw bytes at each object's offset: pyHanko's parser would take longer than everything else here).

For such a file pyHanko's analysis answers LTA_UPDATES with no form field changed, and so does the fast
path. Anything else (a DSS updated a second time, a document timestamp, a form filled, any other object
touched) goes to pyHanko's analysis unchanged.
"""

from __future__ import annotations

import re
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffPolicy, DiffResult, ModificationLevel
from pyhanko.sign.diff_analysis.constants import VRI_KEY_PATTERN
from pyhanko.sign.diff_analysis.policy_api import SuspiciousModification

DSS_KEYS = {"/Type", "/VRI", "/Certs", "/CRLs", "/OCSPs"}
DSS_DATA_KEYS = {"/Certs", "/CRLs", "/OCSPs"}
VRI_KEYS = {"/Type", "/TU", "/TS", "/Cert", "/CRL", "/OCSP"}
VRI_DATA_KEYS = {"/Cert", "/CRL", "/OCSP"}


class _NotValidationData(Exception):
    """The revisions after the signature are not validation data only."""


_OBJECT_HEADER = re.compile(rb"[\0\t\n\f\r ]*(\d+)[\0\t\n\f\r ]+(\d+)[\0\t\n\f\r ]+obj[\0\t\n\f\r ]*<<")
_DICT_SPECIAL = re.compile(rb"[()<>%]")
_STRING_SPECIAL = re.compile(rb"[()\\]")
_LINE_END = re.compile(rb"[\r\n]")
_STREAM_KEYWORD = re.compile(rb"[\0\t\n\f\r ]*stream(\r\n|\n)")


def _is_stream_object(data: bytes, offset: int, idnum: int, generation: int) -> bool:
    """Whether the object written at `offset` is `idnum generation obj << ... >> stream`: the dictionary is
    skipped with PDF's lexical rules (nested dictionaries, literal strings with escapes and nested
    parentheses, hex strings, comments)."""
    header = _OBJECT_HEADER.match(data, offset)
    if header is None or (int(header[1]), int(header[2])) != (idnum, generation):
        return False
    position, depth = header.end(), 1
    while depth:
        special = _DICT_SPECIAL.search(data, position)
        if special is None:
            return False
        position = special.start()
        if data.startswith(b"<<", position):
            depth, position = depth + 1, position + 2
        elif data.startswith(b">>", position):
            depth, position = depth - 1, position + 2
        elif data[position] == ord("<"):  # a hex string
            end = data.find(b">", position)
            if end < 0:
                return False
            position = end + 1
        elif data[position] == ord("("):  # a literal string
            nesting, position = 1, position + 1
            while nesting:
                char = _STRING_SPECIAL.search(data, position)
                if char is None:
                    return False
                position = char.end()
                if char[0] == b"\\":
                    position += 1  # the escaped character
                else:
                    nesting += 1 if char[0] == b"(" else -1
        elif data[position] == ord("%"):  # a comment, to the end of the line
            line_end = _LINE_END.search(data, position)
            if line_end is None:
                return False
            position = line_end.end()
        else:  # a lone ">" or ")" is malformed
            return False
    return _STREAM_KEYWORD.match(data, position) is not None


def _deref(value: Any, reached: set[tuple[int, int]]) -> Any:
    """The object a value stands for; an indirect one is recorded as part of the store."""
    if isinstance(value, generic.IndirectObject):
        reached.add((value.idnum, value.generation))
        return value.get_object()  # type: ignore[no-untyped-call]
    return value


def _stream_array(value: Any, reader: PdfFileReader, revision: int, data: bytes, reached: set[tuple[int, int]]) -> None:
    array = _deref(value, reached)
    if not isinstance(array, generic.ArrayObject):
        raise _NotValidationData("validation data is not an array")
    for item in array:
        if not isinstance(item, generic.IndirectObject):
            raise _NotValidationData("validation data is not an indirect object")
        offset = reader.xrefs.get_historical_ref(item.reference, revision)
        if not isinstance(offset, int) or not _is_stream_object(data, offset, item.idnum, item.generation):
            raise _NotValidationData("validation data is not a stream")
        reached.add((item.idnum, item.generation))


def _dss_objects(
    catalog: generic.DictionaryObject, reader: PdfFileReader, revision: int, data: bytes
) -> set[tuple[int, int]]:
    """The objects the catalog's /DSS consists of, its structure checked on the way."""
    reached: set[tuple[int, int]] = set()
    dss_ref = catalog.raw_get("/DSS")
    if not isinstance(dss_ref, generic.IndirectObject):
        raise _NotValidationData("/DSS is not an indirect object")
    dss = _deref(dss_ref, reached)
    if not isinstance(dss, generic.DictionaryObject) or not set(dss.keys()) <= DSS_KEYS:
        raise _NotValidationData("unexpected DSS structure")
    for key in DSS_DATA_KEYS & set(dss.keys()):
        _stream_array(dss.raw_get(key), reader, revision, data, reached)
    if "/VRI" in dss:
        vri = _deref(dss.raw_get("/VRI"), reached)
        if not isinstance(vri, generic.DictionaryObject):
            raise _NotValidationData("/VRI is not a dictionary")
        for name in vri:
            if not VRI_KEY_PATTERN.match(name):
                raise _NotValidationData("VRI key is not a SHA-1 in hex")
            entry = _deref(vri.raw_get(name), reached)
            if not isinstance(entry, generic.DictionaryObject) or not set(entry.keys()) <= VRI_KEYS:
                raise _NotValidationData("unexpected VRI structure")
            for key in VRI_DATA_KEYS & set(entry.keys()):
                _stream_array(entry.raw_get(key), reader, revision, data, reached)
            for key in {"/TU", "/TS"} & set(entry.keys()):
                if isinstance(entry.raw_get(key), generic.IndirectObject):
                    raise _NotValidationData("indirect VRI time")
    return reached


def _trailer_ref(resolver: HistoricalResolver, key: str) -> tuple[int, int] | None:
    value = resolver.trailer_view.raw_get(key) if key in resolver.trailer_view else None
    if value is None:
        return None
    if not isinstance(value, generic.IndirectObject):
        raise _NotValidationData(f"trailer {key} is not an indirect object")
    return (value.idnum, value.generation)


def only_validation_data_added(reader: PdfFileReader, signed_revision: int) -> bool:
    """True when the one revision after `signed_revision` only adds a first DSS (see the module's rules)."""
    xrefs = reader.xrefs
    later = signed_revision + 1
    if xrefs.hybrid_xrefs_present or later != xrefs.total_revisions - 1:
        return False
    try:
        before = reader.get_historical_resolver(signed_revision)
        after = reader.get_historical_resolver(later)
        root = _trailer_ref(before, "/Root")
        if xrefs.get_xref_data(later).freed or _trailer_ref(after, "/Root") != root:
            return False
        old_catalog, new_catalog = before.root, after.root
        if "/DSS" in old_catalog or set(new_catalog.keys()) != {*old_catalog.keys(), "/DSS"}:
            return False  # a DSS updated again: pyHanko compares the old and new stores
        if any(new_catalog.raw_get(key) != old_catalog.raw_get(key) for key in old_catalog):
            return False
        info = _trailer_ref(after, "/Info")
        if info is not None and not isinstance(after(generic.Reference(*info)), generic.DictionaryObject):
            return False
        used = {ref.idnum for revision in range(later) for ref in xrefs.explicit_refs_in_revision(revision)}
        written = {(ref.idnum, ref.generation) for ref in xrefs.explicit_refs_in_revision(later)}
        dss = _dss_objects(new_catalog, reader, later, reader.stream.getvalue())
        if any(idnum in used for idnum, _ in dss) or not dss <= written:
            return False  # the store must consist of new objects only
        return written <= {root, info} | dss
    except Exception:  # whatever the fast path cannot read, pyHanko's analysis judges
        return False


class ValidationDataFastPath(DiffPolicy):
    """pyHanko's default difference policy, answering the validation-data-only case without its graph walk."""

    def __init__(self, general: DiffPolicy = DEFAULT_DIFF_POLICY) -> None:
        self.general = general

    def apply(
        self, old: HistoricalResolver, new: HistoricalResolver, field_mdp_spec: Any = None, doc_mdp: Any = None
    ) -> DiffResult:
        return self.general.apply(old, new, field_mdp_spec, doc_mdp)

    def review_file(
        self,
        reader: PdfFileReader,
        base_revision: int | HistoricalResolver,
        field_mdp_spec: Any = None,
        doc_mdp: Any = None,
    ) -> DiffResult | SuspiciousModification:
        if isinstance(base_revision, int) and only_validation_data_added(reader, base_revision):
            return DiffResult(ModificationLevel.LTA_UPDATES, set())
        return self.general.review_file(reader, base_revision, field_mdp_spec=field_mdp_spec, doc_mdp=doc_mdp)


DIFF_POLICY = ValidationDataFastPath()
