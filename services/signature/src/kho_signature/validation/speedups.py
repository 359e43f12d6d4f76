"""Three speed-ups installed into the libraries the engine uses, all with unchanged results.

1. A faster reader for PDF hex strings in pyHanko's parser.

pyHanko reads hex strings one byte at a time in Python; a signature's /Contents is a hex string of tens of
kilobytes that is read several times per validation (when signatures are enumerated, and again by the
difference analysis), which made it the largest single cost of validating a signed file. This reader
does the same in a few C-level operations, with the same rules: hex digits and PDF whitespace only, up to
the closing ``>``, an odd final digit padded with 0, an error at the end of the stream.

2. Memoized string preparation for X.509 name comparison (RFC 4518, asn1crypto's ``_ldap_string_prep``).
Names are compared again and again (the signer's issuer against every certificate of the CMS, CRL issuers
against certificates) and every freshly parsed name prepares its strings anew, character by character
through ``stringprep``; the same few CA names recur in every document, so the preparation is a pure
function worth caching.

3. Matching a certificate against an issuer and serial number (the CMS signer, the ESS signing-certificate
attribute): the serial number first, then the issuer names byte for byte, then by RFC 5280. pyHanko compares
the names first, with a byte shortcut that never applied to ESS ids (their issuer is explicitly tagged), so
the full comparison ran against every certificate of the CMS. Both must match: the answer is the same.
"""

from __future__ import annotations

import binascii
import functools
import os
import re
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError
from pyhanko.sign import general

_VALID = re.compile(rb"[0-9a-fA-F \n\r\t\f\x00]*\Z")
_WHITESPACE = b" \n\r\t\f\x00"
_installed = False


def read_hex_string_from_stream(stream: Any) -> Any:
    stream.read(1)  # the opening <
    chunks = []
    while True:
        chunk = stream.read(65536)
        if not chunk:
            raise PdfStreamError("Stream ended prematurely")
        end = chunk.find(b">")
        if end >= 0:
            chunks.append(chunk[:end])
            stream.seek(end + 1 - len(chunk), os.SEEK_CUR)
            break
        chunks.append(chunk)
    data = b"".join(chunks)
    if not _VALID.match(data):
        bad = next(bytes([b]) for b in data if bytes([b]) not in b"0123456789abcdefABCDEF" + _WHITESPACE)
        raise PdfStreamError("Unexpected token in hex string: " + repr(bad))
    digits = data.translate(None, _WHITESPACE)
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


_original_prep = asn1_x509.NameTypeAndValue._ldap_string_prep


@functools.lru_cache(maxsize=8192)
def _prep_cached(string: str) -> str:
    return str(_original_prep(None, string))


def _ldap_string_prep(self: Any, string: Any) -> Any:
    if isinstance(string, str):
        return _prep_cached(string)
    return _original_prep(self, string)


_original_match_issuer_serial = general.match_issuer_serial


def match_issuer_serial(expected_issuer_serial: Any, cert: asn1_x509.Certificate) -> bool:
    """pyHanko's ``match_issuer_serial``, serial number first, and with its byte-for-byte shortcut taken on
    the names' RDN sequences: the issuer in an ESS certificate id is a GeneralName, explicitly tagged, so
    comparing whole encodings never matched and every check went through the full name comparison."""
    if expected_issuer_serial["serial_number"] != cert["tbs_certificate"]["serial_number"]:
        return False
    expected_issuer = expected_issuer_serial["issuer"]
    if isinstance(expected_issuer, asn1_x509.GeneralNames):
        if len(expected_issuer) != 1 or expected_issuer[0].name != "directory_name":
            return False
        expected_issuer = expected_issuer[0].chosen
    try:
        return bool(expected_issuer.chosen.dump() == cert.issuer.chosen.dump() or expected_issuer == cert.issuer)
    except ValueError:  # names that cannot be compared (pyHanko: no match)
        return False


def install() -> None:
    global _installed
    if not _installed:
        generic.read_hex_string_from_stream = read_hex_string_from_stream
        asn1_x509.NameTypeAndValue._ldap_string_prep = _ldap_string_prep
        general.match_issuer_serial = match_issuer_serial  # its callers are in that module
        _installed = True
