"""Settings of the notify service (environment variables with the KHO_ prefix).

A channel is used only when it is configured: Zalo needs an access token and a template id per kind of
notice, SMS an API key, e-mail an SMTP host.
"""

from __future__ import annotations

from typing import Self

from kho_platform.settings import PlatformSettings
from pydantic import Field, model_validator

from kho_notify.domain.recipients import EXTERNAL_CHANNELS, Channel


class NotifySettings(PlatformSettings):
    service_name: str = "notify"
    http_port: int = 8105

    default_channels: list[Channel] = Field(
        default_factory=lambda: list(EXTERNAL_CHANNELS),
        description="fallback order of the external channels for recipients who did not choose one",
    )

    # Zalo Notification Service (ZNS)
    zalo_url: str = "https://business.openapi.zalo.me/message/template"
    zalo_access_token: str = ""
    zalo_templates: dict[str, str] = Field(
        default_factory=dict, description="kind of notice -> ZNS template id registered with Zalo"
    )
    zalo_rate_per_second: float = Field(default=200.0, gt=0)

    # Brandname SMS gateway (eSMS-style JSON API)
    sms_url: str = "https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/"
    sms_api_key: str = ""
    sms_secret_key: str = ""
    sms_brandname: str = "KHODULIEU"
    sms_type: str = "2"
    sms_unicode: bool = Field(default=False, description="send with diacritics (UCS-2, 70 characters a segment)")
    sms_max_segments: int = Field(default=2, ge=1, le=6)
    sms_rate_per_second: float = Field(default=100.0, gt=0)

    # E-mail (SMTP)
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    email_from: str = "Kho dữ liệu <no-reply@kho.gov.vn>"
    email_rate_per_second: float = Field(default=20.0, gt=0)

    # Delivery
    provider_timeout_seconds: float = Field(default=5.0, gt=0)
    provider_max_attempts: int = Field(default=3, ge=1)
    provider_backoff_seconds: float = Field(default=0.5, ge=0)
    provider_max_concurrency: int = Field(default=64, ge=1, description="calls in flight per provider")
    resend_in_doubt: bool = Field(
        default=True,
        description="after a crash between a provider call and its record, send again with the same "
        "idempotency key (true) or record the delivery as unknown and never resend (false)",
    )
    consumer_max_in_flight: int = Field(default=300, ge=1, description="events handled concurrently by a consumer")
    consumer_count: int = Field(
        default=1,
        ge=1,
        description="consumers of the group in this instance (useful up to the partition count). One keeps up "
        "with 500 events/s; an instance restarted after a crash caught up in about 12 s with one, and stalled "
        "for about 100 s with three (bench/notify_bench.py): scale out with replicas",
    )
    instance_heartbeat_seconds: float = Field(default=1.0, gt=0)
    instance_dead_after_seconds: float = Field(default=5.0, gt=0)
    contact_cache_seconds: float = Field(default=30.0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.instance_dead_after_seconds <= 2 * self.instance_heartbeat_seconds:
            raise ValueError("instance_dead_after_seconds must exceed two heartbeats")
        if (
            self.environment in ("staging", "production")
            and self.smtp_host
            and not (self.smtp_starttls or self.smtp_ssl)
        ):
            raise ValueError(f"unsafe settings for {self.environment}: SMTP without TLS")
        return self

    def configured_channels(self) -> frozenset[Channel]:
        found = set()
        if self.zalo_access_token and self.zalo_templates:
            found.add(Channel.ZALO)
        if self.sms_api_key:
            found.add(Channel.SMS)
        if self.smtp_host:
            found.add(Channel.EMAIL)
        return frozenset(found)
