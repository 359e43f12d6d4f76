"""Settings of the signature service (environment variables with the KHO_ prefix)."""

from __future__ import annotations

from kho_platform.settings import PlatformSettings
from pydantic import Field

from kho_signature.revocation import parse_rewrites
from kho_signature.signing.keys import KeyProfile
from kho_signature.validation.engine import Limits


def _paths(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(",") if p.strip())


class SignatureSettings(PlatformSettings):
    service_name: str = "signature"
    http_port: int = 8102

    signature_government_anchors: str = Field(
        default="/etc/kho/trust/government", description="PEM/DER files or folders: roots of Ban Cơ yếu Chính phủ"
    )
    signature_public_anchors: str = Field(
        default="/etc/kho/trust/public", description="PEM/DER files or folders: the national root CA(s)"
    )
    signature_intermediates: str = Field(default="/etc/kho/trust/intermediates", description="intermediate CAs")

    signature_revocation_dir: str = "/var/lib/kho/signature/revocation"
    signature_revocation_refresh_seconds: float = Field(default=3600.0, gt=0)
    signature_crl_sources: str = Field(default="", description="extra CRL URLs, comma-separated")
    signature_url_rewrites: str = Field(
        default="http://ocsp.ca.ptc=>http://ocsp.ca.gov.vn",
        description="address rewrites before fetching revocation data: from=>to, comma-separated",
    )
    signature_fetch_timeout_seconds: float = 20.0

    signature_workers: int = Field(default=2, ge=1, description="validation worker processes")
    signature_max_bytes: int = Field(default=30 * 1024 * 1024, ge=1024)
    signature_max_pages: int = Field(default=5000, ge=1)
    signature_cpu_seconds: float = Field(default=10.0, gt=0)
    signature_memory_mb: int = Field(default=1024, ge=128)

    signature_keys: dict[str, KeyProfile] = Field(
        default_factory=dict, description="signing key profiles (JSON): see kho_signature.signing.keys"
    )
    signature_tsa_url: str = Field(default="", description="RFC 3161 timestamping authority")
    signature_tsa_timeout_seconds: float = Field(default=180.0, gt=0, description="the government TSA can be slow")
    signature_default_level: str = "B-LT"

    def government_paths(self) -> tuple[str, ...]:
        return _paths(self.signature_government_anchors)

    def public_paths(self) -> tuple[str, ...]:
        return _paths(self.signature_public_anchors)

    def intermediate_paths(self) -> tuple[str, ...]:
        return _paths(self.signature_intermediates)

    def rewrites(self) -> tuple[tuple[str, str], ...]:
        return parse_rewrites(self.signature_url_rewrites)

    def crl_sources(self) -> tuple[str, ...]:
        return _paths(self.signature_crl_sources)

    def limits(self) -> Limits:
        return Limits(
            max_bytes=self.signature_max_bytes,
            max_pages=self.signature_max_pages,
            cpu_seconds=self.signature_cpu_seconds,
            memory_mb=self.signature_memory_mb,
        )
