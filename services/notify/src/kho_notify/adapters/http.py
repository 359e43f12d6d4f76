"""A small HTTP/1.1 client for the providers' JSON APIs: POST a body, read the status and the body, over a
pool of kept-alive connections (TLS for https).

Why not aiohttp: at hundreds of provider calls a second, the HTTP client's own CPU time was the largest single
cost of the notify service (about 0.35 ms a call; this client about a third of it). A provider call needs
none of what that time pays for (cookies, redirects, tracing, multipart, streaming, proxies), and the
response is parsed by httptools (the parser uvicorn uses), so the protocol work is not ours.

A connection is reused only when the server allowed it (keep-alive) and has not closed it meanwhile; a request
is never resent by this client (a provider call is not idempotent everywhere: Zalo does not deduplicate),
failures go back to the caller, whose retry policy decides.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools

MAX_RESPONSE_BYTES = 1 << 20  # a provider's answer is a small JSON document


class HttpError(Exception):
    """The call failed before a complete answer arrived (connection, protocol, size or time)."""


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    path: bytes
    tls: bool

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        tls = parts.scheme == "https"
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.hostname, parts.port or (443 if tls else 80), path.encode(), tls)

    @property
    def authority(self) -> str:
        default = 443 if self.tls else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


class _Connection(asyncio.Protocol):
    """One connection; one request at a time. httptools calls the `on_*` methods while parsing."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[tuple[int, bytes]] | None = None
        self._body: list[bytes] = []
        self._size = 0
        self._status = 0
        self.keep_alive = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio's classes

    def data_received(self, data: bytes) -> None:
        if self._answer is None or self._answer.done():
            self.close()  # bytes nobody asked for: the connection is no longer in a known state
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HttpError(f"malformed HTTP response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(HttpError("connection closed before the answer was complete"))

    # httptools callbacks
    def on_status(self, status: bytes) -> None:
        self._status = self._parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > MAX_RESPONSE_BYTES:
            self._fail(HttpError("answer larger than 1 MB"))
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        self.keep_alive = self._parser.should_keep_alive()
        if self._answer is not None and not self._answer.done():
            self._answer.set_result((self._status, b"".join(self._body)))

    # the client's side
    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self._parser = httptools.HttpResponseParser(self)
        self._body, self._size, self._status, self.keep_alive = [], 0, 0, False
        self._answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self._answer

    def _fail(self, error: HttpError) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class HttpClient:
    """POSTs to one endpoint. It keeps as many connections as calls were in flight at once: the caller bounds
    that (ProviderLimits), so a call here does not wait for a slot a second time."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        headers: dict[str, str] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.endpoint = Endpoint.parse(url)
        self._timeout = timeout
        self._idle: list[_Connection] = []
        self._tls = (tls or ssl.create_default_context()) if self.endpoint.tls else None
        fixed = {"Host": self.endpoint.authority, "User-Agent": "kho-notify", **(headers or {})}
        self._head = b"POST " + self.endpoint.path + b" HTTP/1.1\r\n"
        self._head += "".join(f"{name}: {value}\r\n" for name, value in fixed.items()).encode("latin-1")

    async def post_json(self, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """The status and body of the answer; HttpError or TimeoutError when there is none."""
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items()).encode("latin-1")
        request = b"".join(
            (
                self._head,
                extra,
                b"Content-Type: application/json\r\nContent-Length: ",
                str(len(body)).encode(),
                b"\r\n\r\n",
                body,
            )
        )
        connection = None
        try:
            async with asyncio.timeout(self._timeout):
                connection = await self._connection()
                status, answer = await connection.exchange(request)
        except BaseException:
            if connection is not None:
                connection.close()  # a half-done exchange leaves the connection unusable
            raise
        if connection.keep_alive and not connection.closed:
            self._idle.append(connection)
        else:
            connection.close()
        return status, answer

    async def _connection(self) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed and connection.transport is not None and not connection.transport.is_closing():
                return connection
        try:
            _, connection = await asyncio.get_running_loop().create_connection(
                _Connection,
                self.endpoint.host,
                self.endpoint.port,
                ssl=self._tls,
                server_hostname=self.endpoint.host if self._tls else None,
            )
        except OSError as exc:
            raise HttpError(f"cannot connect: {type(exc).__name__}: {exc}") from exc
        return connection

    async def close(self) -> None:
        while self._idle:
            self._idle.pop().close()
