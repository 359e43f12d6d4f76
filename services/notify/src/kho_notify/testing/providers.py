"""Local stand-ins for the providers, for tests and benchmarks: one small HTTP server that speaks the Zalo
ZNS and the eSMS-style brandname SMS request and response shapes, records every call, and can be told to
fail (transiently or permanently, for everyone or for given phone numbers).

Run: `python -m kho_notify.testing.providers --port 9100` (then ZNS at /message/template, SMS at
/sms/send, control at /_control, recorded calls at /_received).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl

import httpx

ACCESS_TOKEN = "zalo-test-access-token"  # noqa: S105  (the stand-in's own test value)
SMS_API_KEY = "sms-test-api-key"
SMS_SECRET_KEY = "sms-test-secret-key"  # noqa: S105  (the stand-in's own test value)
ZALO_PATH = "/message/template"
SMS_PATH = "/sms/send"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass
class Behaviour:
    transient_next: int = 0  # the next N calls fail with a "try again" answer
    http_503_next: int = 0  # the next N calls answer HTTP 503
    refuse_phones: set[str] = field(default_factory=set)  # permanent refusal for these numbers
    refuse_all: bool = False
    delay_seconds: float = 0.0


class ProviderState:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.sms_request_ids: set[str] = set()
        self.behaviour = {"zalo": Behaviour(), "sms": Behaviour()}

    def control(self, body: dict[str, Any]) -> None:
        if body.get("reset"):
            self.__init__()  # type: ignore[misc]
        for channel in ("zalo", "sms"):
            if channel in body:
                wanted = dict(body[channel])
                wanted["refuse_phones"] = set(wanted.get("refuse_phones", ()))
                self.behaviour[channel] = Behaviour(**wanted)

    def _failure(self, channel: str, phone: str) -> str | None:
        b = self.behaviour[channel]
        if b.http_503_next > 0:
            b.http_503_next -= 1
            return "http503"
        if b.transient_next > 0:
            b.transient_next -= 1
            return "transient"
        if b.refuse_all or phone in b.refuse_phones:
            return "refused"
        return None

    def zalo(self, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if headers.get("access_token") != ACCESS_TOKEN:
            return 200, {"error": -124, "message": "Access token is invalid"}
        phone, template_id, data = body.get("phone"), body.get("template_id"), body.get("template_data")
        if not isinstance(phone, str) or not phone.startswith("84") or not phone.isdigit():
            return 200, {"error": -108, "message": "Phone number is invalid"}
        if not template_id or not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            return 200, {"error": -112, "message": "Template data invalid"}
        failure = self._failure("zalo", phone)
        entry = {"channel": "zalo", "at": time.time(), "key": body.get("tracking_id"), "body": body, "result": failure}
        self.received.append(entry)
        if failure == "http503":
            return 503, {"error": -100, "message": "Service unavailable"}
        if failure == "transient":
            return 200, {"error": -100, "message": "Unknown error, please try again later"}
        if failure == "refused":
            return 200, {"error": -118, "message": "Zalo account not existed"}
        msg_id = uuid.uuid4().hex
        return 200, {
            "error": 0,
            "message": "Success",
            "data": {"msg_id": msg_id, "sent_time": str(int(time.time() * 1000)), "quota": {"remainingQuota": "499"}},
        }

    def sms(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if body.get("ApiKey") != SMS_API_KEY or body.get("SecretKey") != SMS_SECRET_KEY:
            return 200, {"CodeResult": "101", "ErrorMessage": "Incorrect ApiKey or SecretKey"}
        phone = str(body.get("Phone", ""))
        if not phone.isdigit() or len(phone) not in (10, 11):
            return 200, {"CodeResult": "108", "ErrorMessage": "Phone number is not in correct format"}
        request_id = str(body.get("RequestId") or "")
        failure = self._failure("sms", phone)
        duplicate = bool(request_id) and request_id in self.sms_request_ids and failure is None
        entry = {"channel": "sms", "at": time.time(), "key": request_id, "body": body, "result": failure}
        entry["duplicate"] = duplicate
        self.received.append(entry)
        if failure == "http503" or failure == "transient":
            return 503, {"CodeResult": "99", "ErrorMessage": "Service unavailable"}
        if failure == "refused":
            return 200, {"CodeResult": "99", "ErrorMessage": "The phone number is blocked in the system"}
        if duplicate:
            return 200, {"CodeResult": "124", "ErrorMessage": "Duplicate RequestId"}
        if request_id:
            self.sms_request_ids.add(request_id)
        return 200, {"CodeResult": "100", "CountRegenerate": 0, "SMSID": uuid.uuid4().hex}


def make_app(state: ProviderState) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    import asyncio

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        path, method = scope["path"], scope["method"]
        status, answer = 404, cast(dict[str, Any], {"error": "not found"})
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            status, answer, body = 400, {"error": "not JSON"}, None
        if body is not None:
            if method == "POST" and path == ZALO_PATH:
                delay = state.behaviour["zalo"].delay_seconds
                if delay:
                    await asyncio.sleep(delay)
                status, answer = state.zalo(headers, body)
            elif method == "POST" and path == SMS_PATH:
                delay = state.behaviour["sms"].delay_seconds
                if delay:
                    await asyncio.sleep(delay)
                status, answer = state.sms(body)
            elif method == "POST" and path == "/_control":
                state.control(body)
                status, answer = 200, {"ok": True}
            elif method == "GET" and path == "/_received":
                query = dict(parse_qsl(scope.get("query_string", b"").decode()))
                light = query.get("light") == "1"
                rows = state.received[int(query.get("since") or 0) :]  # the rows after the first `since`
                if light:
                    rows = [{k: r.get(k) for k in ("channel", "at", "key", "result", "duplicate")} for r in rows]
                status, answer = 200, {"received": rows}
        payload = json.dumps(answer, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    return app


class ProviderServer:
    """The provider stand-in as its own process (so that it does not share the caller's CPU time)."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings_env(self, zalo_templates: dict[str, str]) -> dict[str, str]:
        """KHO_ variables that point the notify service at this server."""
        return {
            "KHO_ZALO_URL": f"{self.url}{ZALO_PATH}",
            "KHO_ZALO_ACCESS_TOKEN": ACCESS_TOKEN,
            "KHO_ZALO_TEMPLATES": json.dumps(zalo_templates),
            "KHO_SMS_URL": f"{self.url}{SMS_PATH}",
            "KHO_SMS_API_KEY": SMS_API_KEY,
            "KHO_SMS_SECRET_KEY": SMS_SECRET_KEY,
        }

    def start(self) -> ProviderServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603  (our own module)
                [sys.executable, "-m", "kho_notify.testing.providers", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ},
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/_received?light=1", timeout=1.0)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise TimeoutError(f"provider stand-in did not start; log: {self.log_path}")

    def control(self, **body: Any) -> None:
        httpx.post(f"{self.url}/_control", json=body, timeout=5.0).raise_for_status()

    def received(self, light: bool = False, since: int = 0) -> list[dict[str, Any]]:
        """What the providers received (after the first `since` rows), in order."""
        params = {"light": "1" if light else "0", "since": str(since)}
        response = httpx.get(f"{self.url}/_received", params=params, timeout=30.0)
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()["received"]
        return rows

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def all_zalo_templates() -> dict[str, str]:
    """A template id for every kind of notice, as an OA would have registered them."""
    from kho_notify.domain.templates import TEMPLATES

    return {kind: str(300000 + n) for n, kind in enumerate(sorted(TEMPLATES))}


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        make_app(ProviderState()),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,  # nothing stands in front of it: no X-Forwarded-* to read on every call
        lifespan="off",
    )


if __name__ == "__main__":
    main()
