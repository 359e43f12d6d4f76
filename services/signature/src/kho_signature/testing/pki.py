"""A test PKI shaped like the Vietnamese one, built at test time with certomancer (keys included: nothing
here is ever committed, every key is generated into the directory given).

Hierarchy (names end in "(thử nghiệm)" so that no file made with it can pass for a real one):

* government set (Ban Cơ yếu Chính phủ): root "RootCA chuyên dùng Chính phủ G2" with the intermediate
  "CA phục vụ các cơ quan Nhà nước G2"; the older root G1 with its "cp" intermediate; an OCSP responder
  whose address is the internal name ``http://ocsp.ca.ptc/...`` as in real government certificates;
  a time-stamping authority;
* public set: the national root CA with one commercial CA and its OCSP responder;
* an untrusted root, and a self-signed signer.

Signers (labels of :data:`SIGNERS`): ``gov-agency`` (UID ``MNS:``), ``gov-officer`` (UID ``CCCD:``),
``gov-g1`` (under the G1 root), ``gov-expired``, ``gov-not-yet-valid``, ``gov-revoked-before`` (revoked a
month ago), ``gov-revoked-after`` (revoked ten days ago: sign with a timestamp twenty days ago),
``gov-wrong-ku`` (key encipherment only), ``pub-company`` (UID ``MST:``, ECDSA P-256, public set),
``rogue`` (under an untrusted root) and ``self-signed``.

Other URLs live under ``http://pki.kho.test``: tests serve both through :mod:`kho_signature.testing.http`
and point the service's URL rewrite rules at that local server.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from certomancer.registry import CertLabel, CertomancerConfig, PKIArchitecture, ServiceLabel
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

GOV_OCSP_PREFIX = "http://ocsp.ca.ptc"
"""Government certificates carry this internal OCSP host; the service rewrites it (ocsp.ca.gov.vn)."""
PKI_PREFIX = "http://pki.kho.test"
ARCH = "kho-test"

SIGNERS = (
    "gov-agency",
    "gov-officer",
    "gov-g1",
    "gov-expired",
    "gov-not-yet-valid",
    "gov-revoked-before",
    "gov-revoked-after",
    "gov-wrong-ku",
    "pub-company",
    "rogue",
    "self-signed",
)
TEST_MARK = " (thử nghiệm)"


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _rsa_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _ec_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _signer_ku(*usages: str) -> list[dict[str, Any]]:
    return [{"id": "key_usage", "critical": True, "smart-value": {"schema": "key-usage", "params": list(usages)}}]


def _root(name: str, validity: dict[str, str]) -> dict[str, Any]:
    """A self-signed root CA publishing its own CRL."""
    return {
        "subject": name,
        "issuer": name,
        "validity": validity,
        "profiles": [{"id": "simple-ca", "params": {"crl-repo": name}}],
    }


def _issuing_ca(name: str, issuer: str, validity: dict[str, str], *, ocsp: bool) -> dict[str, Any]:
    """An intermediate CA that issues end-entity certificates (path length 0), with a CRL and maybe OCSP."""
    params: dict[str, Any] = {"max-path-len": 0, "crl-repo": name}
    if ocsp:
        params["ocsp-service"] = name
    return {"issuer": issuer, "validity": validity, "profiles": [{"id": "simple-ca", "params": params}]}


def _config(now: datetime) -> dict[str, Any]:
    def valid(start_days: int, end_days: int) -> dict[str, str]:
        return {"valid-from": _iso(now + timedelta(days=start_days)), "valid-to": _iso(now + timedelta(days=end_days))}

    gov = {"country-name": "VN", "organization-name": "Ban Cơ yếu Chính phủ"}
    entities: dict[str, dict[str, str]] = {
        "gov-root-g2": {**gov, "common-name": "RootCA chuyên dùng Chính phủ G2" + TEST_MARK},
        "gov-ca-g2": {**gov, "common-name": "CA phục vụ các cơ quan Nhà nước G2" + TEST_MARK},
        "gov-ocsp-g2": {**gov, "common-name": "OCSP CA phục vụ các cơ quan Nhà nước G2" + TEST_MARK},
        "gov-tsa": {**gov, "common-name": "Hệ thống cấp dấu thời gian" + TEST_MARK},
        "gov-root-g1": {**gov, "common-name": "RootCA chuyên dùng Chính phủ" + TEST_MARK},
        "gov-ca-cp": {**gov, "common-name": "CA phục vụ các cơ quan Nhà nước" + TEST_MARK},
        "pub-root": {
            "country-name": "VN",
            "organization-name": "Trung tâm Chứng thực điện tử quốc gia",
            "common-name": "Vietnam National Root CA" + TEST_MARK,
        },
        "pub-ca": {
            "country-name": "VN",
            "organization-name": "Công ty Chứng thực Thử nghiệm",
            "common-name": "CA Thương mại" + TEST_MARK,
        },
        "pub-ocsp": {
            "country-name": "VN",
            "organization-name": "Công ty Chứng thực Thử nghiệm",
            "common-name": "OCSP CA Thương mại" + TEST_MARK,
        },
        "rogue-root": {
            "country-name": "VN",
            "organization-name": "Không được tin cậy",
            "common-name": "Root CA giả mạo" + TEST_MARK,
        },
        "gov-agency": {
            "country-name": "VN",
            "state-or-province-name": "Tỉnh Thử Nghiệm",
            "organization-name": "UBND tỉnh Thử Nghiệm",
            "common-name": "Sở Tư pháp tỉnh Thử Nghiệm" + TEST_MARK,
            "user-id": "MNS:1000001",
        },
        "gov-officer": {
            "country-name": "VN",
            "organization-name": "UBND xã Thử Nghiệm",
            "common-name": "Nguyễn Văn Thử" + TEST_MARK,
            "user-id": "CCCD:000099000001",
        },
        "pub-company": {
            "country-name": "VN",
            "organization-name": "Công ty TNHH Thử Nghiệm",
            "common-name": "Công ty TNHH Thử Nghiệm" + TEST_MARK,
            "user-id": "MST:0100000001",
        },
        "rogue": {
            "country-name": "VN",
            "organization-name": "UBND tỉnh Thử Nghiệm",
            "common-name": "Sở Tư pháp giả mạo" + TEST_MARK,
            "user-id": "MNS:1000001",
        },
        "self-signed": {
            "country-name": "VN",
            "organization-name": "UBND tỉnh Thử Nghiệm",
            "common-name": "Tự ký" + TEST_MARK,
            "user-id": "MNS:1000002",
        },
    }
    for label in (
        "gov-g1",
        "gov-expired",
        "gov-not-yet-valid",
        "gov-revoked-before",
        "gov-revoked-after",
        "gov-wrong-ku",
    ):
        entities[label] = {
            "country-name": "VN",
            "organization-name": "UBND tỉnh Thử Nghiệm",
            "common-name": f"Cán bộ {label}{TEST_MARK}",
            "user-id": "CCCD:000099000002",
        }

    sign_ku = _signer_ku("digital_signature", "non_repudiation")
    gov_signer = {"issuer": "gov-ca-g2", "validity": valid(-365, 730), "extensions": sign_ku}
    certs: dict[str, dict[str, Any]] = {
        "gov-root-g2": _root("gov-root-g2", valid(-2000, 8000)),
        "gov-ca-g2": _issuing_ca("gov-ca-g2", "gov-root-g2", valid(-1500, 4000), ocsp=True),
        "gov-ocsp-g2": {"issuer": "gov-ca-g2", "validity": valid(-365, 1500), "profiles": ["ocsp-responder"]},
        "gov-tsa": {
            "issuer": "gov-root-g2",
            "validity": valid(-1000, 3000),
            "extensions": [
                *_signer_ku("digital_signature"),
                {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
            ],
        },
        "gov-root-g1": _root("gov-root-g1", valid(-4000, 6000)),
        "gov-ca-cp": _issuing_ca("gov-ca-cp", "gov-root-g1", valid(-3500, 3000), ocsp=False),
        "pub-root": _root("pub-root", valid(-2000, 8000)),
        "pub-ca": _issuing_ca("pub-ca", "pub-root", valid(-1500, 4000), ocsp=True),
        "pub-ocsp": {"issuer": "pub-ca", "validity": valid(-365, 1500), "profiles": ["ocsp-responder"]},
        "rogue-root": _root("rogue-root", valid(-2000, 8000)),
        "gov-agency": dict(gov_signer),
        "gov-officer": dict(gov_signer),
        "gov-g1": {"issuer": "gov-ca-cp", "validity": valid(-365, 730), "extensions": sign_ku},
        "gov-expired": {**gov_signer, "validity": valid(-1000, -300)},
        "gov-not-yet-valid": {**gov_signer, "validity": valid(300, 1000)},
        "gov-revoked-before": {
            **gov_signer,
            "revocation": {"revoked-since": _iso(now - timedelta(days=30)), "reason": "key_compromise"},
        },
        "gov-revoked-after": {
            **gov_signer,
            "revocation": {"revoked-since": _iso(now - timedelta(days=10)), "reason": "superseded"},
        },
        "gov-wrong-ku": {**gov_signer, "extensions": _signer_ku("key_encipherment")},
        "pub-company": {"issuer": "pub-ca", "validity": valid(-365, 730), "extensions": sign_ku},
        "rogue": {"issuer": "rogue-root", "validity": valid(-365, 730), "extensions": sign_ku},
        "self-signed": {
            "subject": "self-signed",
            "issuer": "self-signed",
            "validity": valid(-365, 730),
            "extensions": sign_ku,
        },
    }
    crl = "P7D"
    services = {
        "ocsp": {
            "gov-ca-g2": {
                "for-issuer": "gov-ca-g2",
                "responder-cert": "gov-ocsp-g2",
                "signing-key": "gov-ocsp-g2",
                "external-url-prefix": GOV_OCSP_PREFIX,
                "validity-period": {"days": 7},
            },
            "pub-ca": {
                "for-issuer": "pub-ca",
                "responder-cert": "pub-ocsp",
                "signing-key": "pub-ocsp",
                "validity-period": {"days": 7},
            },
        },
        "crl-repo": {
            name: {"for-issuer": name, "signing-key": name, "simulated-update-schedule": crl}
            for name in ("gov-root-g2", "gov-ca-g2", "gov-root-g1", "gov-ca-cp", "pub-root", "pub-ca", "rogue-root")
        },
        "time-stamping": {"gov-tsa": {"signing-key": "gov-tsa", "signing-cert": "gov-tsa"}},
    }
    return {
        "external-url-prefix": PKI_PREFIX,
        "keysets": {ARCH: {"path-prefix": "keys", "keys": {label: {"path": f"{label}.key.pem"} for label in certs}}},
        "pki-architectures": {ARCH: {"keyset": ARCH, "entities": entities, "certs": certs, "services": services}},
    }


@dataclass
class TestPki:
    """A built test PKI. ``directory`` holds ``keys/`` (private keys, PEM), ``certs/`` (every certificate,
    DER), ``trust/government.pem`` and ``trust/public.pem`` (the two anchor sets) and
    ``trust/intermediates.pem``, the files the signature service is configured with."""

    __test__ = False  # not a test class, despite its name

    directory: Path
    arch: PKIArchitecture
    built_at: datetime
    _crl_cache: dict[tuple[str, datetime], asn1_crl.CertificateList] = field(default_factory=dict)
    _certs: dict[str, asn1_x509.Certificate] = field(default_factory=dict)

    # --- certificates and keys ---------------------------------------------------------------------
    def cert(self, label: str) -> asn1_x509.Certificate:
        # reloaded from DER, as certificates read from files or tokens are: certomancer's objects are built
        # in memory and re-encode themselves on every dump()
        if label not in self._certs:
            self._certs[label] = asn1_x509.Certificate.load(self.arch.get_cert(CertLabel(label)).dump())
        return self._certs[label]

    def private_key(self, label: str) -> asn1_keys.PrivateKeyInfo:
        return self.arch.key_set.get_private_key(label)  # type: ignore[arg-type]

    def chain(self, label: str) -> list[asn1_x509.Certificate]:
        """The certificate and its issuers up to (and including) the root."""
        # every entity of this PKI has one certificate, labelled like the entity
        out = [self.cert(label)]
        while True:
            spec = self.arch.get_cert_spec(CertLabel(label))
            if spec.issuer == spec.subject:
                return out
            label = str(spec.issuer)
            out.append(self.cert(label))

    def pkcs12(self, label: str, password: bytes | None = None) -> bytes:
        """The signer's key and certificate chain as a PKCS#12 file (what a developer's token export looks
        like)."""
        key = serialization.load_der_private_key(self.private_key(label).dump(), password=None)
        chain = self.chain(label)
        from cryptography import x509 as cx509

        cert = cx509.load_der_x509_certificate(chain[0].dump())
        cas = [cx509.load_der_x509_certificate(c.dump()) for c in chain[1:]]
        enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
        return pkcs12.serialize_key_and_certificates(label.encode(), key, cert, cas, enc)  # type: ignore[arg-type]

    # --- revocation data, as the services would answer at a given time ---------------------------------
    def crl(self, repo: str, at: datetime | None = None) -> asn1_crl.CertificateList:
        at = at or datetime.now(UTC)
        key = (repo, at.replace(microsecond=0))
        if key not in self._crl_cache:
            built = self.arch.service_registry.get_crl(ServiceLabel(repo), at_time=at)
            self._crl_cache[key] = asn1_crl.CertificateList.load(built.dump())
        return self._crl_cache[key]

    def ocsp_response(self, label: str, at: datetime | None = None) -> asn1_ocsp.OCSPResponse:
        """A good/revoked OCSP response for a certificate issued by a CA with an OCSP responder."""
        from pyhanko_certvalidator.authority import AuthorityWithCert
        from pyhanko_certvalidator.fetchers.common_utils import format_ocsp_request

        cert = self.cert(label)
        issuer = self.chain(label)[1]
        responder_label = _responder_for(self.arch, issuer)
        responder = self.arch.service_registry.summon_responder(
            ServiceLabel(responder_label), at_time=at or datetime.now(UTC)
        )
        request = format_ocsp_request(cert, AuthorityWithCert(issuer), certid_hash_algo="sha256", request_nonces=False)
        return responder.build_ocsp_response(request)

    def ocsp_for_url(self, url_path: str, body: bytes, at: datetime | None = None) -> bytes:
        label = url_path.rstrip("/").rsplit("/", 1)[-1]
        responder = self.arch.service_registry.summon_responder(ServiceLabel(label), at_time=at or datetime.now(UTC))
        return bytes(responder.build_ocsp_response(asn1_ocsp.OCSPRequest.load(body)).dump())

    def timestamper(self, at: datetime | None = None) -> Any:
        """An in-process TSA (the government TSA's certificate), optionally with a fixed clock."""
        from kho_signature.signing.local import LocalTimeStamper

        return LocalTimeStamper(
            self.cert("gov-tsa"),
            self.private_key("gov-tsa"),
            certs_to_embed=[self.cert("gov-root-g2")],  # type: ignore[arg-type]
            fixed_dt=at,
        )

    def revocation_material(self, at: datetime | None = None) -> tuple[list[bytes], list[bytes]]:
        """(CRLs, OCSP responses) in DER for every CA and every signer with an OCSP responder: what the
        service's revocation cache holds after a refresh."""
        crls = [self.crl(repo, at).dump() for repo in _crl_repos(self.arch)]
        ocsps = []
        for label in SIGNERS:
            issuer_chain = self.chain(label)
            if len(issuer_chain) > 1:
                with contextlib.suppress(KeyError):  # CAs without an OCSP responder
                    ocsps.append(self.ocsp_response(label, at).dump())
        return crls, ocsps

    # --- files for the service ------------------------------------------------------------------------
    @property
    def government_anchors(self) -> Path:
        return self.directory / "trust" / "government.pem"

    @property
    def public_anchors(self) -> Path:
        return self.directory / "trust" / "public.pem"

    @property
    def intermediates(self) -> Path:
        return self.directory / "trust" / "intermediates.pem"

    def service_env(self) -> dict[str, str]:
        """Environment variables configuring the signature service to trust this PKI."""
        return {
            "KHO_SIGNATURE_GOVERNMENT_ANCHORS": str(self.government_anchors),
            "KHO_SIGNATURE_PUBLIC_ANCHORS": str(self.public_anchors),
            "KHO_SIGNATURE_INTERMEDIATES": str(self.intermediates),
        }


def _crl_repos(arch: PKIArchitecture) -> list[str]:
    return [str(info.label) for info in arch.service_registry.list_crl_repos()]


def _responder_for(arch: PKIArchitecture, issuer: asn1_x509.Certificate) -> str:
    for info in arch.service_registry.list_ocsp_responders():
        if arch.entities[info.for_issuer] == issuer.subject:
            return str(info.label)
    raise KeyError(issuer.subject.human_friendly)


def _pem_bundle(certs: list[asn1_x509.Certificate]) -> bytes:
    out = io.BytesIO()
    for cert in certs:
        out.write(pem.armor("CERTIFICATE", cert.dump()))
    return out.getvalue()


def build_test_pki(directory: Path, *, now: datetime | None = None) -> TestPki:
    """Generates keys and builds the test PKI into ``directory`` (created if needed). Takes about a second.

    ``now`` is the PKI's reference time (validity periods, revocation dates); it defaults to the current
    time, which is what validation at the current time needs."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    directory.mkdir(parents=True, exist_ok=True)
    config = _config(now)
    key_dir = directory / "keys"
    key_dir.mkdir(exist_ok=True)
    for label in config["pki-architectures"][ARCH]["certs"]:
        path = key_dir / f"{label}.key.pem"
        if not path.exists():
            path.write_bytes(_ec_pem() if label == "pub-company" else _rsa_pem())
            path.chmod(0o600)
    cfg = CertomancerConfig(config, key_search_dir=str(directory))
    arch = cfg.get_pki_arch(ARCH)  # type: ignore[arg-type]
    pki = TestPki(directory=directory, arch=arch, built_at=now)
    cert_dir = directory / "certs"
    cert_dir.mkdir(exist_ok=True)
    labels = list(config["pki-architectures"][ARCH]["certs"])
    for label in labels:
        (cert_dir / f"{label}.cer").write_bytes(pki.cert(label).dump())
    trust = directory / "trust"
    trust.mkdir(exist_ok=True)
    (trust / "government.pem").write_bytes(_pem_bundle([pki.cert("gov-root-g2"), pki.cert("gov-root-g1")]))
    (trust / "public.pem").write_bytes(_pem_bundle([pki.cert("pub-root")]))
    (trust / "intermediates.pem").write_bytes(
        _pem_bundle([pki.cert("gov-ca-g2"), pki.cert("gov-ca-cp"), pki.cert("pub-ca")])
    )
    return pki


__all__ = ["GOV_OCSP_PREFIX", "PKI_PREFIX", "SIGNERS", "TestPki", "build_test_pki"]
