"""In-process key operations that parse the private key once.

pyHanko's ``SimpleSigner`` and ``DummyTimeStamper`` turn their key into a ``cryptography`` object on every
signature; with RSA that includes the key's consistency checks and cost more than the rest of a
signature. These subclasses keep the parsed key (it stays in this process either way).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from asn1crypto import cms, core
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.sign import general, signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params


class LocalKeySigner(signers.SimpleSigner):
    _parsed_key: Any = None

    def _key(self) -> Any:
        if self._parsed_key is None:
            self._parsed_key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
        return self._parsed_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism_spec = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            mechanism = mechanism_spec.signature_algo
        except ValueError:
            mechanism = mechanism_spec["algorithm"].native
        key = self._key()
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
            return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if mechanism == "rsassa_pss" and isinstance(key, RSAPrivateKey):
            padding, hash_algo = process_pss_params(mechanism_spec["parameters"])
            return key.sign(data, padding, hash_algo)
        if mechanism == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
            return key.sign(data, signature_algorithm=ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        return bytes(super().sign_raw(data, digest_algorithm))


class LocalTimeStamper(DummyTimeStamper):
    """A timestamping authority in this process (development, tests, benchmarks): RSA only."""

    _parsed_key: Any = None

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str, dt: datetime) -> tuple[bytes, Any]:
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                _attr("content_type", "tst_info"),
                _attr("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                _attr("signing_certificate", general.as_signing_certificate(self.tsa_cert)),
                _attr("message_digest", digest.finalize()),
            ]
        )
        if self._parsed_key is None:
            self._parsed_key = serialization.load_der_private_key(self.tsa_key.dump(), password=None)
        key = self._parsed_key
        if not isinstance(key, RSAPrivateKey):
            raise NotImplementedError("the local timestamper is RSA-only")
        signature = key.sign(signed_attrs.dump(), PKCS1v15(), get_pyca_cryptography_hash(md_algorithm.upper()))
        return signature, signed_attrs


def _attr(attr_type: str, value: Any) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": cms.CMSAttributeType(attr_type), "values": (value,)})
