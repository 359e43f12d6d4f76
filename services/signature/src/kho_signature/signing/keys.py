"""Signing keys: a PKCS#12 file in development, a PKCS#11 token or HSM in production.

Keys are named profiles (``KHO_SIGNATURE_KEYS``, JSON), e.g.::

    {"certified-copy": {"kind": "pkcs12", "path": "/run/secrets/dev-signer.p12",
                        "password_file": "/run/secrets/dev-signer.pass"},
     "result": {"kind": "pkcs11", "module": "/usr/lib/softhsm/libsofthsm2.so", "token_label": "kho",
                "key_label": "result-signer", "pin_file": "/run/secrets/hsm.pin",
                "chain_file": "/etc/kho/signer-chain.pem"}}

Passwords and PINs are read from files or environment variables (``password_env`` / ``pin_env``), never
written in the settings themselves. The private key never leaves this process (PKCS#12) or the token
(PKCS#11): callers only name the profile.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pydantic import BaseModel, ConfigDict
from pyhanko.sign import signers

from kho_signature.signing.local import LocalKeySigner


class KeyProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["pkcs12", "pkcs11"]
    # pkcs12
    path: str | None = None
    password_file: str | None = None
    password_env: str | None = None
    # pkcs11
    module: str | None = None
    token_label: str | None = None
    slot: int | None = None
    key_label: str | None = None
    cert_label: str | None = None
    pin_file: str | None = None
    pin_env: str | None = None
    chain_file: str | None = None
    """PEM file with the signer's certificate chain (intermediates), when the token holds only the signer's."""
    signer_name: str | None = None
    """Name shown on the stamp; defaults to the certificate's common name."""


class KeyError_(Exception):
    """A key profile cannot be used (unknown, misconfigured, token missing)."""


def _secret(file: str | None, env: str | None) -> str | None:
    if file:
        return Path(file).read_text().strip()
    if env:
        value = os.environ.get(env)
        if value is None:
            raise KeyError_(f"environment variable {env} is not set")
        return value
    return None


def read_pem_certs(path: str | Path) -> list[asn1_x509.Certificate]:
    data = Path(path).read_bytes()
    if not pem.detect(data):
        return [asn1_x509.Certificate.load(data)]
    return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]


@dataclass
class LoadedKey:
    profile: str
    signer: signers.Signer
    chain: list[asn1_x509.Certificate]
    """Signer certificate first, then its issuers as known."""
    close: Any = None

    @property
    def certificate(self) -> asn1_x509.Certificate:
        return self.chain[0]

    @property
    def display_name(self) -> str:
        name = self.certificate.subject.native.get("common_name", "")
        return str(name[0] if isinstance(name, list) else name)


def load_key(name: str, profile: KeyProfile) -> LoadedKey:
    if profile.kind == "pkcs12":
        if not profile.path:
            raise KeyError_(f"key profile {name}: path is required for pkcs12")
        password = _secret(profile.password_file, profile.password_env)
        signer = signers.SimpleSigner.load_pkcs12(profile.path, passphrase=password.encode() if password else None)  # type: ignore[no-untyped-call]
        if signer is None or signer.signing_cert is None:
            raise KeyError_(f"key profile {name}: cannot read the PKCS#12 file")
        chain = [signer.signing_cert, *[c for c in signer.cert_registry if c != signer.signing_cert]]
        local = LocalKeySigner(
            signing_cert=signer.signing_cert, signing_key=signer.signing_key, cert_registry=signer.cert_registry
        )
        return LoadedKey(name, local, chain)
    return _load_pkcs11(name, profile)


def _load_pkcs11(name: str, profile: KeyProfile) -> LoadedKey:
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign import pkcs11 as hanko_pkcs11

    if not profile.module or not (profile.key_label or profile.cert_label):
        raise KeyError_(f"key profile {name}: module and key_label are required for pkcs11")
    pin = _secret(profile.pin_file, profile.pin_env)
    session = hanko_pkcs11.open_pkcs11_session(
        profile.module,
        slot_no=profile.slot,
        token_criteria=TokenCriteria(label=profile.token_label) if profile.token_label else None,
        user_pin=pin,
    )
    extra = read_pem_certs(profile.chain_file) if profile.chain_file else []
    signer = hanko_pkcs11.PKCS11Signer(
        session,
        key_label=profile.key_label or profile.cert_label,
        cert_label=profile.cert_label or profile.key_label,
        ca_chain=extra,
        embed_roots=False,
    )
    cert = signer.signing_cert
    if cert is None:
        session.close()
        raise KeyError_(f"key profile {name}: no certificate found on the token")
    return LoadedKey(name, signer, [cert, *extra], close=session.close)


class KeyRing:
    """The configured key profiles, loaded lazily and kept open (a PKCS#11 session per profile). PKCS#11
    sessions are not shared between threads: signing with one profile is serialised."""

    def __init__(self, profiles: dict[str, KeyProfile]) -> None:
        self._profiles = profiles
        self._loaded: dict[str, LoadedKey] = {}
        self._locks: dict[str, threading.Lock] = {name: threading.Lock() for name in profiles}
        self._guard = threading.Lock()

    @property
    def names(self) -> list[str]:
        return sorted(self._profiles)

    def lock(self, name: str) -> threading.Lock:
        return self._locks[name]

    def get(self, name: str) -> LoadedKey:
        if name not in self._profiles:
            raise KeyError_(f"unknown key profile {name!r}")
        with self._guard:
            if name not in self._loaded:
                self._loaded[name] = load_key(name, self._profiles[name])
            return self._loaded[name]

    def close(self) -> None:
        with self._guard:
            for key in self._loaded.values():
                if key.close is not None:
                    key.close()
            self._loaded.clear()
