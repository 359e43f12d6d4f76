"""Trust anchors and validation policies.

Two anchor sets are read from PEM (or DER) files: the government set of Ban Cơ yếu Chính phủ (roots G1 and G2)
and the national root CA of the public CAs. Intermediates come from a third file, because signed files
usually embed only the signer's certificate. A policy names the sets it trusts and what it accepts:

* ``government-result``: only the government set; what the vault requires of issued results;
* ``any-qualified``: both sets (citizens' and organizations' own signed uploads);

Unknown revocation status (INDETERMINATE) is refused unless a policy says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509


class AnchorSet(StrEnum):
    GOVERNMENT = "government"
    PUBLIC = "public"


def read_certs(path: str | Path) -> list[asn1_x509.Certificate]:
    data = Path(path).read_bytes()
    if pem.detect(data):
        return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [asn1_x509.Certificate.load(data)]


def read_cert_files(paths: Iterable[str | Path]) -> list[asn1_x509.Certificate]:
    out: list[asn1_x509.Certificate] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            for child in sorted(p.iterdir()):
                if child.suffix.lower() in (".pem", ".crt", ".cer", ".der"):
                    out.extend(read_certs(child))
        elif str(path):
            out.extend(read_certs(p))
    return out


@dataclass(frozen=True)
class Policy:
    name: str
    anchors: frozenset[AnchorSet]
    accept_indeterminate: bool = False
    """Whether INDETERMINATE (e.g. revocation unknown) counts as passing."""
    require_all_signatures: bool = True
    """Every signature of the file must pass (else: at least one)."""
    description_vi: str = ""


DEFAULT_POLICIES: dict[str, Policy] = {
    "government-result": Policy(
        "government-result",
        frozenset({AnchorSet.GOVERNMENT}),
        description_vi="Chữ ký số của Ban Cơ yếu Chính phủ (kết quả giải quyết thủ tục hành chính)",
    ),
    "any-qualified": Policy(
        "any-qualified",
        frozenset({AnchorSet.GOVERNMENT, AnchorSet.PUBLIC}),
        description_vi="Chữ ký số hợp lệ của Ban Cơ yếu Chính phủ hoặc của tổ chức cung cấp dịch vụ công cộng",
    ),
}


@dataclass
class TrustStore:
    """The anchor sets and intermediates, loaded once per process."""

    anchors: dict[AnchorSet, list[asn1_x509.Certificate]]
    intermediates: list[asn1_x509.Certificate]
    policies: dict[str, Policy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))

    @classmethod
    def from_files(
        cls,
        government: Iterable[str | Path],
        public: Iterable[str | Path],
        intermediates: Iterable[str | Path] = (),
        policies: dict[str, Policy] | None = None,
    ) -> TrustStore:
        return cls(
            anchors={AnchorSet.GOVERNMENT: read_cert_files(government), AnchorSet.PUBLIC: read_cert_files(public)},
            intermediates=read_cert_files(intermediates),
            policies=dict(policies or DEFAULT_POLICIES),
        )

    def policy(self, name: str) -> Policy:
        try:
            return self.policies[name]
        except KeyError:
            raise UnknownPolicy(name) from None

    def roots_for(self, policy: Policy) -> list[asn1_x509.Certificate]:
        return [c for s in sorted(policy.anchors) for c in self.anchors.get(s, [])]

    def all_roots(self) -> list[asn1_x509.Certificate]:
        return [c for certs in self.anchors.values() for c in certs]

    def anchor_set_of(self, root: asn1_x509.Certificate) -> AnchorSet | None:
        for name, certs in self.anchors.items():
            if any(c.dump() == root.dump() for c in certs):
                return name
        return None


class UnknownPolicy(LookupError):
    pass
