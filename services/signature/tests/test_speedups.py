"""The engine's speed-ups give the libraries' own answers."""

from __future__ import annotations

import io

import pytest
from asn1crypto import cms, tsp, x509
from kho_signature.testing.pki import TestPki
from kho_signature.validation import speedups
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError

speedups.install()


def name(common_name: str, organization: str, *, printable: bool = False) -> x509.Name:
    return x509.Name.build({"common_name": common_name, "organization_name": organization}, use_printable=printable)


@pytest.mark.parametrize(
    ("first", "second", "equal"),
    [
        (name("So Tu phap", "UBND"), name("So Tu phap", "UBND"), True),
        (name("So Tu phap", "UBND"), name("so  tu PHAP", "ubnd"), True),  # RFC 4518: case and spaces fold
        (name("So Tu phap", "UBND"), name("So Tu phap", "UBND", printable=True), True),  # another string type
        (name("Sở Tư pháp", "UBND tỉnh"), name("Sở Tư pháp", "UBND tỉnh"), True),
        (name("So Tu phap", "UBND"), name("So Tu phap", "UBND khac"), False),
        (name("Sở Tư pháp", "UBND"), name("So Tu phap", "UBND"), False),
    ],
)
def test_name_equality_with_memoized_preparation_matches_rfc5280(
    first: x509.Name, second: x509.Name, equal: bool
) -> None:
    for _ in range(2):  # the second time from the cache
        assert (x509.Name.load(first.dump()) == x509.Name.load(second.dump())) is equal
        assert (x509.Name.load(second.dump()) != x509.Name.load(first.dump())) is (not equal)


def test_a_name_is_not_equal_to_something_else() -> None:
    assert name("A", "B") != "A"


def read_hex(data: bytes) -> bytes:
    return bytes(speedups.read_hex_string_from_stream(io.BytesIO(data)).original_bytes)


def test_hex_strings_read_like_pyhanko() -> None:
    assert read_hex(b"<48 65\n6c6C6f>rest") == b"Hello"
    assert read_hex(b"<414>") == b"A@"  # an odd final digit is padded with 0
    with pytest.raises(PdfStreamError):
        read_hex(b"<41zz>")
    with pytest.raises(PdfStreamError):
        read_hex(b"<4142")
    assert read_hex(b"<>") == b""
    assert isinstance(speedups.read_hex_string_from_stream(io.BytesIO(b"<ff00>")), generic.ByteStringObject)


@pytest.mark.parametrize("ess", [False, True], ids=["CMS signer id", "ESS certificate id"])
@pytest.mark.parametrize(
    ("issuer", "serial_offset", "expected"),
    [
        ("its own", 0, True),
        ("re-encoded", 0, True),  # the same name under RFC 5280: case folds
        ("its own", 1, False),
        ("another", 0, False),
    ],
)
def test_issuer_and_serial_match_like_pyhanko(
    pki: TestPki, issuer: str, serial_offset: int, expected: bool, ess: bool
) -> None:
    cert = pki.chain("gov-agency")[0]
    names = {
        "its own": cert.issuer,
        "re-encoded": x509.Name.build({k: v.upper() for k, v in cert.issuer.native.items()}),
        "another": name("So Noi vu", "UBND"),
    }
    serial = cert.serial_number + serial_offset
    wanted: cms.IssuerAndSerialNumber | tsp.IssuerSerial
    if ess:  # the issuer as a GeneralName (explicitly tagged), read back from its encoding as in a real file
        general_names = x509.GeneralNames([x509.GeneralName(name="directory_name", value=names[issuer])])
        wanted = tsp.IssuerSerial.load(tsp.IssuerSerial({"issuer": general_names, "serial_number": serial}).dump())
    else:
        wanted = cms.IssuerAndSerialNumber({"issuer": names[issuer], "serial_number": serial})
    assert speedups.match_issuer_serial(wanted, cert) is expected
    assert speedups._original_match_issuer_serial(wanted, cert) is expected
