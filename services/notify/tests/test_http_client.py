"""The providers' HTTP client against real local servers (plain and TLS) that answer as scripted: reuse of
kept-alive connections, servers that close them, chunked answers, broken and oversized answers, timeouts."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvloop
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from kho_notify.adapters.http import Endpoint, HttpClient, HttpError

Answer = Callable[[int], bytes | None]  # request number -> raw answer (None: say nothing)


def ok(body: bytes = b'{"error": 0}', *, close: bool = False) -> bytes:
    connection = b"Connection: close\r\n" if close else b""
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + connection
        + (b"Content-Length: %d\r\n\r\n" % len(body))
        + body
    )


@dataclass
class Server:
    answer: Answer
    port: int = 0
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    close_after_answer: bool = False

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                raw = self.answer(len(self.requests))
                if raw is None:
                    await asyncio.sleep(3600)
                writer.write(raw)
                await writer.drain()
                if self.close_after_answer or b"Connection: close" in raw:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., asyncio.Future[Server]]]:
    servers: list[asyncio.Server] = []

    async def start(answer: Answer, tls: ssl.SSLContext | None = None, **options: bool) -> Server:
        server = Server(answer, **options)
        running = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=tls)
        server.port = running.sockets[0].getsockname()[1]
        servers.append(running)
        return server

    yield start  # type: ignore[misc]
    for running in servers:
        running.close()


def client(server: Server, *, timeout: float = 5.0, **options: object) -> HttpClient:
    return HttpClient(f"http://127.0.0.1:{server.port}/message/template", timeout=timeout, **options)  # type: ignore[arg-type]


async def test_requests_carry_the_headers_and_reuse_one_kept_alive_connection(serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(lambda n: ok(b'{"n": %d}' % n))
    http = client(server, headers={"access_token": "tok"})
    answers = [await http.post_json(b'{"phone": "84912345678"}') for _ in range(5)]
    assert answers[-1] == (200, b'{"n": 5}')
    assert server.connections == 1
    head, body = server.requests[0].split(b"\r\n\r\n", 1)
    assert head.startswith(b"POST /message/template HTTP/1.1\r\n")
    assert b"Host: 127.0.0.1:%d" % server.port in head and b"access_token: tok" in head
    assert b"Content-Type: application/json" in head and b"Content-Length: 24" in head
    assert body == b'{"phone": "84912345678"}'
    await http.close()


async def test_a_connection_the_server_closes_is_not_reused(serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(lambda n: ok(close=n == 1))
    http = client(server)
    assert (await http.post_json(b"{}"))[0] == 200
    assert (await http.post_json(b"{}"))[0] == 200
    assert server.connections == 2  # "Connection: close" was honoured

    idle_closer = await serve(lambda n: ok(), close_after_answer=True)  # closes without saying so
    http = client(idle_closer)
    assert (await http.post_json(b"{}"))[0] == 200
    await asyncio.sleep(0.1)  # the close reaches the client while the connection is idle
    assert (await http.post_json(b"{}"))[0] == 200
    assert idle_closer.connections == 2


async def test_chunked_and_error_answers_are_read_whole(serve) -> None:  # type: ignore[no-untyped-def]
    chunked = (
        b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4\r\n{"a"\r\n3\r\n: 1\r\n1\r\n}\r\n0\r\n\r\n'
    )
    server = await serve(lambda n: chunked)
    http = client(server)
    assert await http.post_json(b"{}") == (503, b'{"a": 1}')
    assert await http.post_json(b"{}") == (503, b'{"a": 1}')
    assert server.connections == 1


async def test_broken_oversized_and_silent_answers_fail_and_drop_the_connection(serve) -> None:  # type: ignore[no-untyped-def]
    broken = await serve(lambda n: b"NOT HTTP AT ALL\r\n\r\n" if n == 1 else ok())
    http = client(broken)
    with pytest.raises(HttpError, match="malformed"):
        await http.post_json(b"{}")
    assert (await http.post_json(b"{}"))[0] == 200
    assert broken.connections == 2

    huge = await serve(lambda n: ok(b"x" * (2 << 20)))
    with pytest.raises(HttpError, match="larger than 1 MB"):
        await client(huge).post_json(b"{}")

    silent = await serve(lambda n: None if n == 1 else ok())
    http = client(silent, timeout=0.3)
    with pytest.raises(TimeoutError):
        await http.post_json(b"{}")
    assert (await http.post_json(b"{}"))[0] == 200  # on a new connection: the silent one was dropped
    assert silent.connections == 2

    with pytest.raises(HttpError, match="cannot connect"):
        await HttpClient("http://127.0.0.1:1/x", timeout=2).post_json(b"{}")


async def test_https_verifies_the_server_certificate(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cert, key = self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    server = await serve(lambda n: ok(b'{"secure": true}'), server_tls)
    url = f"https://127.0.0.1:{server.port}/sms/send"

    trusting = HttpClient(url, timeout=5, tls=ssl.create_default_context(cafile=str(cert)))
    assert await trusting.post_json(b"{}") == (200, b'{"secure": true}')
    assert b"Host: 127.0.0.1:%d" % server.port in server.requests[0]
    await trusting.close()

    with pytest.raises(HttpError, match="cannot connect"):  # the system's CAs do not know this certificate
        await HttpClient(url, timeout=5).post_json(b"{}")


def test_the_service_event_loop_uvloop_works_too() -> None:
    async def exchange() -> tuple[int, bytes]:
        server = Server(lambda n: ok(b'{"loop": "uvloop"}'))
        running = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        server.port = running.sockets[0].getsockname()[1]
        try:
            http = client(server)
            await http.post_json(b"{}")
            return await http.post_json(b"{}")
        finally:
            running.close()

    assert uvloop.run(exchange()) == (200, b'{"loop": "uvloop"}')


def test_endpoints_are_parsed_with_their_default_ports() -> None:
    assert Endpoint.parse("https://rest.esms.vn/Main.svc/json/Send/?a=1") == Endpoint(
        "rest.esms.vn", 443, b"/Main.svc/json/Send/?a=1", True
    )
    assert Endpoint.parse("https://rest.esms.vn/x").authority == "rest.esms.vn"
    assert Endpoint.parse("http://127.0.0.1:9100").path == b"/"
    with pytest.raises(ValueError, match="not an http"):
        Endpoint.parse("ftp://example.org/file")


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1, made for this test run."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kho test provider")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "provider.pem", directory / "provider.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path
