"""The test PKI's services over real HTTP on 127.0.0.1: OCSP responders, CRL distribution points and the
TSA, at the paths certomancer puts in the certificates (``/kho-test/ocsp/<label>``,
``/kho-test/crls/<label>/latest.crl``, ``/kho-test/tsa/<label>``). Point the service's URL rewrites at
:attr:`PkiServer.base_url` (``http://ocsp.ca.ptc=>{base_url},http://pki.kho.test=>{base_url}``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import tsp
from certomancer.registry import ServiceLabel

from kho_signature.testing.pki import GOV_OCSP_PREFIX, PKI_PREFIX, TestPki


class PkiServer:
    def __init__(self, pki: TestPki) -> None:
        self.pki = pki
        self.requests: list[str] = []
        pki_ = pki
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _send(self, body: bytes, content_type: str, status: int = 200) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                requests.append(f"GET {self.path}")
                parts = self.path.strip("/").split("/")
                if len(parts) == 4 and parts[1] == "crls":
                    self._send(pki_.crl(parts[2]).dump(), "application/pkix-crl")
                else:
                    self._send(b"not found", "text/plain", 404)

            def do_POST(self) -> None:
                requests.append(f"POST {self.path}")
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                parts = self.path.strip("/").split("/")
                try:
                    if len(parts) == 3 and parts[1] == "ocsp":
                        self._send(pki_.ocsp_for_url(self.path, body), "application/ocsp-response")
                    elif len(parts) == 3 and parts[1] == "tsa":
                        stamper = pki_.arch.service_registry.summon_timestamper(ServiceLabel(parts[2]))
                        response = stamper.request_tsa_response(tsp.TimeStampReq.load(body))
                        self._send(response.dump(), "application/timestamp-reply")
                    else:
                        self._send(b"not found", "text/plain", 404)
                except Exception as exc:
                    self._send(str(exc).encode(), "text/plain", 500)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def rewrites(self) -> str:
        return f"{GOV_OCSP_PREFIX}=>{self.base_url},{PKI_PREFIX}=>{self.base_url}"

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/kho-test/tsa/gov-tsa"

    def start(self) -> PkiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def serve_pki(pki: TestPki) -> Iterator[PkiServer]:
    server = PkiServer(pki).start()
    try:
        yield server
    finally:
        server.stop()
