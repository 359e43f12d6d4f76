"""Test helpers, also for other services' end-to-end tests: a test PKI shaped like the Vietnamese one, and
signing as its signers. Nothing here is used by the running service.

Typical use (a vault test needing "a validly Ban Cơ yếu-signed PDF" and "a PDF signed by a public CA")::

    from kho_signature.testing import build_test_pki, make_pdf, sign_as

    pki = build_test_pki(tmp_path / "pki")          # keys generated here, ~7 s: make it session-scoped
    gov_pdf = sign_as(pki, "gov-agency", make_pdf(2))          # B-LT: validates offline, TOTAL_PASSED
    pub_pdf = sign_as(pki, "pub-company", make_pdf(1))         # public CA: fails "government-result",
                                                               # passes "any-qualified"
    env = pki.service_env()   # KHO_SIGNATURE_GOVERNMENT_ANCHORS / _PUBLIC_ANCHORS / _INTERMEDIATES
                              # for the signature service under test

Inside a running event loop use ``await async_sign_as(...)``. Signer labels are listed in
:data:`kho_signature.testing.pki.SIGNERS` (expired, revoked, wrong key usage, untrusted root, self-signed
...). Hostile variants (content changed after signing, annotations, partial coverage, empty signature
value, broken ByteRange, truncation, encryption) are in :mod:`kho_signature.testing.corpus`; odd files
(decompression bomb, huge page tree) in :mod:`kho_signature.testing.pdfs`.
"""

from kho_signature.testing.pdfs import make_bomb_pdf, make_huge_page_tree_pdf, make_pdf
from kho_signature.testing.pki import SIGNERS, TestPki, build_test_pki
from kho_signature.testing.signing import async_sign_as, material_for, sign_as, signer_for

__all__ = [
    "SIGNERS",
    "TestPki",
    "async_sign_as",
    "build_test_pki",
    "make_bomb_pdf",
    "make_huge_page_tree_pdf",
    "make_pdf",
    "material_for",
    "sign_as",
    "signer_for",
]
