"""The fast path of the difference analysis answers exactly as pyHanko's analysis does: for files whose only
later revision adds a first DSS it answers itself, for everything else it hands over."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable

import pytest
from kho_signature.signing.signer import SigningMaterial
from kho_signature.testing import async_sign_as, corpus
from kho_signature.testing.pki import TestPki
from kho_signature.validation.later_changes import DIFF_POLICY, _is_stream_object, only_validation_data_added
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult

Make = Callable[[TestPki, bytes, SigningMaterial], bytes]


def signed(level: str, **kw: object) -> Make:
    def make(pki: TestPki, pdf: bytes, material: SigningMaterial) -> bytes:
        return asyncio.run(async_sign_as(pki, "gov-agency", pdf, level=level, material=material, **kw))  # type: ignore[arg-type]

    return make


def with_dss(first: Make, *, item: str = "stream", touch_page: bool = False, vri_key: str = "") -> Make:
    """A later revision adding a DSS by hand: its /Certs item a stream (as PAdES wants) or a dictionary; and
    optionally the first page changed in the same revision, or a /VRI entry under the given key."""

    def make(pki: TestPki, pdf: bytes, material: SigningMaterial) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(first(pki, pdf, material)))
        der = pki.chain("gov-agency")[0].dump()
        data: generic.PdfObject = (
            generic.StreamObject(stream_data=der)
            if item == "stream"
            else generic.DictionaryObject({generic.NameObject("/Der"): generic.ByteStringObject(der)})
        )
        certs = generic.ArrayObject([writer.add_object(data)])
        dss = generic.DictionaryObject({generic.NameObject("/Certs"): certs})
        if vri_key:
            entry = generic.DictionaryObject({generic.NameObject("/Cert"): generic.ArrayObject(list(certs))})
            vri = generic.DictionaryObject({generic.NameObject(vri_key): writer.add_object(entry)})
            dss[generic.NameObject("/VRI")] = writer.add_object(vri)
        writer.root[generic.NameObject("/DSS")] = writer.add_object(dss)
        writer.update_root()
        if touch_page:
            page = writer.root["/Pages"]["/Kids"][0].get_object()
            page[generic.NameObject("/Rotate")] = generic.NumberObject(90)
            writer.update_container(page)
        out = io.BytesIO()
        writer.write(out)  # type: ignore[no-untyped-call]
        return out.getvalue()

    return make


def then(first: Make, change: Callable[[bytes], bytes]) -> Make:
    return lambda pki, pdf, material: change(first(pki, pdf, material))


# name: (how the file is made, whether the fast path answers it)
FILES: dict[str, tuple[Make, bool]] = {
    "B-LT": (signed("B-LT"), True),
    "B-LT certified": (signed("B-LT", certify=True), True),
    "B-T with a DSS added by hand": (with_dss(signed("B-T")), True),
    "B-LTA (a document timestamp)": (signed("B-LTA"), False),
    "B-T (nothing after the signature)": (signed("B-T"), False),
    "B-LT, then content changed": (then(signed("B-LT"), corpus.change_content_after_signing), False),
    "B-T, then an annotation over the content": (then(signed("B-T"), corpus.annotate_over_content), False),
    "a DSS and a page changed in one revision": (with_dss(signed("B-T"), touch_page=True), False),
    "a DSS whose certificate is not a stream": (with_dss(signed("B-T"), item="dictionary"), False),
    "a DSS with a VRI entry": (with_dss(signed("B-T"), vri_key="/" + "AB12" * 10), True),
    "a DSS with a badly named VRI entry": (with_dss(signed("B-T"), vri_key="/NotASha1"), False),
}


def answer(result: object) -> tuple[str, str | None, object]:
    if isinstance(result, DiffResult):
        return ("DiffResult", result.modification_level.name, result.changed_form_fields)
    return (type(result).__name__, None, None)


@pytest.mark.parametrize("name", list(FILES))
def test_the_fast_path_answers_as_pyhanko(name: str, pki: TestPki, plain_pdf: bytes, material: SigningMaterial) -> None:
    make, fast = FILES[name]
    data = make(pki, plain_pdf, material)
    signed_revision = PdfFileReader(io.BytesIO(data)).embedded_signatures[0].signed_revision
    assert only_validation_data_added(PdfFileReader(io.BytesIO(data)), signed_revision) is fast
    ours = DIFF_POLICY.review_file(PdfFileReader(io.BytesIO(data)), signed_revision)
    general = DEFAULT_DIFF_POLICY.review_file(PdfFileReader(io.BytesIO(data)), signed_revision)
    assert answer(ours) == answer(general)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"7 0 obj\n<< /Length 3 >>\nstream\nabc\nendstream\nendobj", True),
        (b"7 0 obj<</Length 3>>stream\r\nabc\nendstream", True),
        (b"7 0 obj\n<< /A << /B (x) >> /C <414243> /D [1 2] >>\nstream\nabc", True),  # nested and hex
        (b"7 0 obj\n<< /A (a >> b \\) stream\n) /L 3 >>\nstream\nabc", True),  # ">>" and "stream" in a string
        (b"7 0 obj\n<< /A (nested (parens) here) >>\nstream\nabc", True),
        (b"7 0 obj\n<< % a comment with >> in it\n/L 3 >>\nstream\nabc", True),
        (b"7 0 obj\n<< /A (stream\n) >>\nendobj", False),  # a dictionary, not a stream
        (b"7 0 obj\n[1 2 3]\nendobj", False),
        (b"8 0 obj\n<< /L 3 >>\nstream\nabc", False),  # another object than the one asked for
        (b"7 0 obj\n<< /L 3 > >>\nstream\nabc", False),  # a lone ">"
        (b"7 0 obj\n<< /L (unterminated >>\nstream\n", False),
        (b"7 0 obj\n<< /L 3 >>\nstreamabc", False),  # the keyword must end its line
    ],
)
def test_streams_are_told_from_the_raw_bytes(raw: bytes, expected: bool) -> None:
    assert _is_stream_object(b"%PDF-1.7\n" + raw, 9, 7, 0) is expected
