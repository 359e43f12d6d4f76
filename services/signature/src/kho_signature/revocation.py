"""Offline-first revocation data: a cache of CRLs and OCSP responses on local disk, and the refresher that
fills it ahead of time.

Validation never fetches anything: it uses what the file embeds and what this cache holds. The refresher
(a background job of the service) downloads

* the CRLs named in the CRL distribution points of every configured intermediate and watched certificate,
  plus extra CRL sources from the settings;
* OCSP responses for the watched certificates: the service's own signing certificates, and signer
  certificates that a validation found without revocation data (their verdict was INDETERMINATE/TRY_LATER;
  the next validation after the refresh can decide).

Addresses are rewritten before fetching: government certificates name an internal OCSP host
(``http://ocsp.ca.ptc``) whose public name is ``http://ocsp.ca.gov.vn``; the rules are configurable.

Layout of the cache directory: ``crl/<sha256 of source URL>.crl``, ``ocsp/<sha256 of cert id>.der``,
``watch/<sha256 of cert>.cer`` (certificates to keep fresh) and ``VERSION`` (rewritten after every change, so
that worker processes reload only when something changed).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from kho_platform.logging import get_logger
from pyhanko_certvalidator.authority import AuthorityWithCert
from pyhanko_certvalidator.fetchers.common_utils import format_ocsp_request

log = get_logger(__name__)

DEFAULT_REWRITES: tuple[tuple[str, str], ...] = (("http://ocsp.ca.ptc", "http://ocsp.ca.gov.vn"),)


def rewrite_url(url: str, rules: Sequence[tuple[str, str]]) -> str:
    for prefix, replacement in rules:
        if url.startswith(prefix):
            return replacement + url[len(prefix) :]
    return url


def parse_rewrites(text: str) -> tuple[tuple[str, str], ...]:
    """``from=>to`` pairs separated by commas or newlines."""
    rules = []
    for part in text.replace("\n", ",").split(","):
        if "=>" in part:
            src, dst = part.split("=>", 1)
            rules.append((src.strip(), dst.strip()))
    return tuple(rules)


def _sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


@dataclass(frozen=True)
class RevocationSnapshot:
    """What the cache held at one moment, parsed."""

    version: str
    crls: tuple[asn1_crl.CertificateList, ...] = ()
    ocsps: tuple[asn1_ocsp.OCSPResponse, ...] = ()


class RevocationCache:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        for sub in ("crl", "ocsp", "watch"):
            (self.directory / sub).mkdir(parents=True, exist_ok=True)
        self._snapshot: RevocationSnapshot | None = None
        self._lock = threading.Lock()

    # --- writing ---------------------------------------------------------------------------------------
    def _bump(self) -> None:
        _write_atomic(self.directory / "VERSION", f"{datetime.now(UTC).isoformat()} {os.urandom(4).hex()}".encode())

    def put_crl(self, source: str, der: bytes) -> None:
        asn1_crl.CertificateList.load(der).native  # noqa: B018  (parse fully: refuse garbage)
        _write_atomic(self.directory / "crl" / f"{_sha(source)}.crl", der)
        self._bump()

    def put_ocsp(self, cert: asn1_x509.Certificate, der: bytes) -> None:
        response = asn1_ocsp.OCSPResponse.load(der)
        if response["response_status"].native != "successful":
            raise ValueError(f"OCSP responder answered {response['response_status'].native}")
        _write_atomic(self.directory / "ocsp" / f"{_sha(cert.dump())}.der", der)
        self._bump()

    def put_many(self, crls: Iterable[bytes] = (), ocsps: Iterable[bytes] = ()) -> None:
        """Adds revocation data obtained elsewhere (an operator's import, tests)."""
        for der in crls:
            _write_atomic(self.directory / "crl" / f"{_sha(der)}.crl", der)
        for der in ocsps:
            _write_atomic(self.directory / "ocsp" / f"{_sha(der)}.der", der)
        self._bump()

    def watch(self, cert: asn1_x509.Certificate) -> bool:
        """Asks the refresher to keep this certificate's revocation status fresh; False if already watched."""
        path = self.directory / "watch" / f"{_sha(cert.dump())}.cer"
        if path.exists():
            return False
        _write_atomic(path, cert.dump())
        return True

    def watched(self) -> list[asn1_x509.Certificate]:
        return [asn1_x509.Certificate.load(p.read_bytes()) for p in sorted((self.directory / "watch").glob("*.cer"))]

    # --- reading ---------------------------------------------------------------------------------------
    def version(self) -> str:
        try:
            return (self.directory / "VERSION").read_text()
        except FileNotFoundError:
            return ""

    def snapshot(self) -> RevocationSnapshot:
        """The parsed cache, reloaded only when VERSION changed (one small read per call)."""
        version = self.version()
        with self._lock:
            if self._snapshot is not None and self._snapshot.version == version:
                return self._snapshot
            crls = []
            for p in sorted((self.directory / "crl").glob("*.crl")):
                try:
                    crls.append(asn1_crl.CertificateList.load(p.read_bytes()))
                except (OSError, ValueError):
                    log.warning("unreadable CRL in cache", file=p.name)
            ocsps = []
            for p in sorted((self.directory / "ocsp").glob("*.der")):
                try:
                    ocsps.append(asn1_ocsp.OCSPResponse.load(p.read_bytes()))
                except (OSError, ValueError):
                    log.warning("unreadable OCSP response in cache", file=p.name)
            self._snapshot = RevocationSnapshot(version, tuple(crls), tuple(ocsps))
            return self._snapshot


@dataclass
class RefreshReport:
    crls: int = 0
    ocsps: int = 0
    errors: list[str] = field(default_factory=list)


class Refresher:
    """Fetches CRLs and OCSP responses into the cache. Certificates to cover: the intermediates and extra
    certificates given here, and whatever was put on the cache's watch list."""

    def __init__(
        self,
        cache: RevocationCache,
        *,
        certificates: Sequence[asn1_x509.Certificate] = (),
        issuers: Sequence[asn1_x509.Certificate] = (),
        crl_sources: Sequence[str] = (),
        rewrites: Sequence[tuple[str, str]] = DEFAULT_REWRITES,
        timeout: float = 20.0,
    ) -> None:
        self.cache = cache
        self.certificates = list(certificates)
        self.issuers = list(issuers)
        self.crl_sources = list(crl_sources)
        self.rewrites = list(rewrites)
        self.timeout = timeout

    def _issuer_of(self, cert: asn1_x509.Certificate) -> asn1_x509.Certificate | None:
        for candidate in [*self.issuers, *self.certificates]:
            if candidate.subject == cert.issuer and (
                cert.authority_key_identifier is None or candidate.key_identifier == cert.authority_key_identifier
            ):
                return candidate
        return None

    async def refresh_once(self) -> RefreshReport:
        report = RefreshReport()
        certs = [*self.certificates, *self.issuers, *self.cache.watched()]
        urls: list[str] = list(self.crl_sources)
        for cert in certs:
            for dp in cert.crl_distribution_points:
                if dp.url and dp.url not in urls:
                    urls.append(dp.url)
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=True) as client:
            for url in urls:
                target = rewrite_url(url, self.rewrites)
                try:
                    response = await client.get(target)
                    response.raise_for_status()
                    self.cache.put_crl(url, response.content)
                    report.crls += 1
                except Exception as exc:
                    report.errors.append(f"CRL {target}: {type(exc).__name__}: {exc}")
            for cert in certs:
                if not cert.ocsp_urls or cert.ca:
                    continue
                issuer = self._issuer_of(cert)
                if issuer is None:
                    report.errors.append(f"OCSP for {cert.subject.human_friendly}: issuer unknown")
                    continue
                request = format_ocsp_request(
                    cert, AuthorityWithCert(issuer), certid_hash_algo="sha256", request_nonces=False
                )
                for url in cert.ocsp_urls:
                    target = rewrite_url(url, self.rewrites)
                    try:
                        response = await client.post(
                            target, content=request.dump(), headers={"Content-Type": "application/ocsp-request"}
                        )
                        response.raise_for_status()
                        self.cache.put_ocsp(cert, response.content)
                        report.ocsps += 1
                        break
                    except Exception as exc:
                        report.errors.append(f"OCSP {target}: {type(exc).__name__}: {exc}")
        if report.errors:
            log.warning(
                "revocation refresh incomplete", errors=report.errors[:10], crls=report.crls, ocsps=report.ocsps
            )
        else:
            log.info("revocation data refreshed", crls=report.crls, ocsps=report.ocsps)
        return report

    async def run(self, interval_seconds: float, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.refresh_once()
            except Exception as exc:  # keep the loop alive; the cache keeps its previous data
                log.warning("revocation refresh failed", error=f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
