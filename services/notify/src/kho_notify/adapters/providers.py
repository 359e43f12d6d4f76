"""The external channels behind one interface: `send(message, idempotency_key) -> SendResult`.

* Zalo ZNS: POST {zalo_url} with header `access_token`, body {phone, template_id, template_data,
  tracking_id}; answer {error: 0, message, data: {msg_id, sent_time, quota}}, a non-zero `error` otherwise.
  `tracking_id` is the delivery id (ZNS echoes it back in its callbacks; it does not deduplicate).
* SMS brandname gateway, eSMS style: POST {sms_url} with JSON {ApiKey, SecretKey, Phone, Content, Brandname,
  SmsType, IsUnicode, RequestId, Sandbox}; answer {CodeResult: "100", SMSID} on success, another CodeResult
  with ErrorMessage otherwise. `RequestId` is the delivery id: the gateway refuses a second request with the
  same id for 24 hours (CodeResult "124"), which we read as "already accepted".
* E-mail: SMTP with the standard library (in a worker thread), Message-ID derived from the delivery id.

Transient failures (network, timeouts, HTTP 429/5xx, provider codes meaning "try again", SMTP 4xx) are
retried by the dispatcher; permanent ones move on to the next channel.
"""

from __future__ import annotations

import asyncio
import json
import smtplib
import ssl
from dataclasses import dataclass
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any, Protocol

from kho_notify.adapters.http import HttpClient, HttpError
from kho_notify.adapters.limits import ProviderLimits
from kho_notify.domain.recipients import Channel
from kho_notify.settings import NotifySettings


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_message_id: str | None = None
    reason: str | None = None
    transient: bool = False

    @classmethod
    def sent(cls, provider_message_id: str | None) -> SendResult:
        return cls(True, provider_message_id)

    @classmethod
    def retry(cls, reason: str) -> SendResult:
        return cls(False, reason=reason, transient=True)

    @classmethod
    def refused(cls, reason: str) -> SendResult:
        return cls(False, reason=reason)


@dataclass(frozen=True)
class ZaloMessage:
    phone: str
    template_id: str
    template_data: dict[str, str]


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str
    unicode: bool


@dataclass(frozen=True)
class MailMessage:
    to: str
    subject: str
    text: str


class Sender(Protocol):
    channel: Channel
    limits: ProviderLimits

    async def send(self, message: Any, idempotency_key: str) -> SendResult: ...

    async def close(self) -> None: ...


ZALO_TRANSIENT = {-100}  # unknown error: "please try again later"
SMS_ALREADY_ACCEPTED = "124"  # duplicate RequestId: the first request with this id was accepted


class HttpProvider:
    """POSTs JSON to a provider's endpoint over kept-alive connections (http.py)."""

    def __init__(self, name: str, url: str, settings: NotifySettings, headers: dict[str, str] | None = None) -> None:
        self.name = name
        self._client = HttpClient(
            url,
            timeout=settings.provider_timeout_seconds,
            headers=headers,
        )

    async def post(self, body: dict[str, Any]) -> Any:
        """The provider's JSON answer, or the SendResult of a failure."""
        try:
            status, raw = await self._client.post_json(json.dumps(body).encode())
        except (HttpError, TimeoutError) as exc:
            return SendResult.retry(f"{self.name} unreachable: {type(exc).__name__}")
        if status != 200:
            reason = f"{self.name} answered HTTP {status}"
            if status == 429 or status >= 500:
                return SendResult.retry(reason)
            return SendResult.refused(reason)
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            return SendResult.retry(f"{self.name} answered something that is not its JSON")
        return answer

    async def close(self) -> None:
        await self._client.close()


class ZaloSender:
    channel = Channel.ZALO

    def __init__(self, settings: NotifySettings) -> None:
        self._settings = settings
        self._http = HttpProvider("zalo", settings.zalo_url, settings, {"access_token": settings.zalo_access_token})
        self.limits = ProviderLimits(settings.zalo_rate_per_second, settings.provider_max_concurrency)

    async def send(self, message: ZaloMessage, idempotency_key: str) -> SendResult:
        body = {
            "phone": message.phone,
            "template_id": message.template_id,
            "template_data": message.template_data,
            "tracking_id": idempotency_key,
        }
        answer = await self._http.post(body)
        if isinstance(answer, SendResult):
            return answer
        try:
            code = int(answer.get("error", -100))
        except (ValueError, TypeError):
            return SendResult.retry("zalo answered something that is not its JSON")
        if code == 0:
            data = answer.get("data") or {}
            return SendResult.sent(str(data.get("msg_id")) if data.get("msg_id") else None)
        reason = f"zalo error {code}: {answer.get('message', '')}"[:300]
        return SendResult.retry(reason) if code in ZALO_TRANSIENT else SendResult.refused(reason)

    async def close(self) -> None:
        await self._http.close()


class SmsSender:
    channel = Channel.SMS

    def __init__(self, settings: NotifySettings) -> None:
        self._settings = settings
        self._http = HttpProvider("sms", settings.sms_url, settings)
        self.limits = ProviderLimits(settings.sms_rate_per_second, settings.provider_max_concurrency)

    async def send(self, message: SmsMessage, idempotency_key: str) -> SendResult:
        s = self._settings
        body = {
            "ApiKey": s.sms_api_key,
            "SecretKey": s.sms_secret_key,
            "Phone": message.phone,
            "Content": message.text,
            "Brandname": s.sms_brandname,
            "SmsType": s.sms_type,
            "IsUnicode": "1" if message.unicode else "0",
            "RequestId": idempotency_key,
            "Sandbox": "0",
        }
        answer = await self._http.post(body)
        if isinstance(answer, SendResult):
            return answer
        code = str(answer.get("CodeResult", ""))
        if code == "100":
            return SendResult.sent(str(answer.get("SMSID")) if answer.get("SMSID") else None)
        if code == SMS_ALREADY_ACCEPTED:
            return SendResult.sent(None)
        return SendResult.refused(f"sms gateway code {code}: {answer.get('ErrorMessage', '')}"[:300])

    async def close(self) -> None:
        await self._http.close()


class EmailSender:
    channel = Channel.EMAIL

    def __init__(self, settings: NotifySettings) -> None:
        self._settings = settings
        self.limits = ProviderLimits(settings.email_rate_per_second, min(settings.provider_max_concurrency, 8))
        self._domain = settings.email_from.rpartition("@")[2].strip(" >") or "kho.gov.vn"

    def message_id(self, idempotency_key: str) -> str:
        return f"<{idempotency_key}@{self._domain}>"

    def _send_blocking(self, message: MailMessage, idempotency_key: str) -> None:
        s = self._settings
        # The legacy (compat32) API on purpose: the modern header folder drops the space between two
        # encoded words when it folds a long Vietnamese subject.
        mail = MIMEText(message.text, "plain", "utf-8")
        name, address = parseaddr(s.email_from)
        mail["From"] = formataddr((name, address)) if name else address
        mail["To"] = message.to
        mail["Subject"] = Header(message.subject, "utf-8")  # type: ignore[assignment]
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = self.message_id(idempotency_key) if idempotency_key else make_msgid()
        mail["Auto-Submitted"] = "auto-generated"
        context = ssl.create_default_context()
        smtp_class = smtplib.SMTP_SSL if s.smtp_ssl else smtplib.SMTP
        kwargs: dict[str, Any] = {"timeout": s.provider_timeout_seconds}
        if s.smtp_ssl:
            kwargs["context"] = context
        with smtp_class(s.smtp_host, s.smtp_port, **kwargs) as smtp:
            if s.smtp_starttls and not s.smtp_ssl:
                smtp.starttls(context=context)
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password)
            smtp.send_message(mail)

    async def send(self, message: MailMessage, idempotency_key: str) -> SendResult:
        try:
            await asyncio.to_thread(self._send_blocking, message, idempotency_key)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            reason = f"smtp refused the recipient ({', '.join(map(str, codes))})"
            return SendResult.retry(reason) if all(400 <= c < 500 for c in codes) else SendResult.refused(reason)
        except smtplib.SMTPResponseException as exc:
            reason = f"smtp answered {exc.smtp_code}"
            return SendResult.retry(reason) if 400 <= exc.smtp_code < 500 else SendResult.refused(reason)
        except (OSError, smtplib.SMTPException) as exc:
            return SendResult.retry(f"smtp unreachable: {type(exc).__name__}")
        return SendResult.sent(self.message_id(idempotency_key))

    async def close(self) -> None:
        return None
