"""Who is told: recipients (citizens and organizations by identity number, agencies by agency code), their
contact details and the order in which the external channels are tried."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from kho_contracts.common import identity_kind


class Channel(StrEnum):
    ZALO = "zalo"  # Zalo Notification Service (ZNS): a registered template and its parameters
    SMS = "sms"  # brandname SMS gateway
    EMAIL = "email"  # SMTP
    INAPP = "inapp"  # the portal's inbox


EXTERNAL_CHANNELS = (Channel.ZALO, Channel.SMS, Channel.EMAIL)
AGENCY_PREFIX = "agency:"
_AGENCY_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-_]{0,49}$")
_MOBILE = re.compile(r"^(?:\+?84|0)([35789]\d{8})$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$")


def agency_recipient(agency_code: str) -> str:
    return f"{AGENCY_PREFIX}{agency_code}"


def valid_recipient_id(recipient_id: str) -> bool:
    if recipient_id.startswith(AGENCY_PREFIX):
        return bool(_AGENCY_CODE.match(recipient_id.removeprefix(AGENCY_PREFIX)))
    return identity_kind(recipient_id) is not None


def normalize_phone(raw: str) -> str:
    """A Vietnamese mobile number in the international form the providers take (84xxxxxxxxx)."""
    digits = re.sub(r"[\s.\-()]", "", raw)
    match = _MOBILE.match(digits)
    if not match:
        raise ValueError("số điện thoại di động không hợp lệ (ví dụ hợp lệ: 0912345678 hoặc 84912345678)")
    return f"84{match.group(1)}"


def normalize_email(raw: str) -> str:
    value = raw.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("địa chỉ thư điện tử không hợp lệ")
    local, _, domain = value.partition("@")
    return f"{local}@{domain.lower()}"


@dataclass(frozen=True)
class RecipientProfile:
    """Contact details and preferences of one recipient. `channels` is the fallback order of the external
    channels: the first that accepts the message wins; the in-app inbox always gets it as well."""

    recipient_id: str
    phone: str | None = None
    email: str | None = None
    channels: tuple[Channel, ...] = field(default=EXTERNAL_CHANNELS)
    has_zalo: bool = True

    def address(self, channel: Channel) -> str | None:
        if channel in (Channel.ZALO, Channel.SMS):
            return self.phone
        if channel is Channel.EMAIL:
            return self.email
        return self.recipient_id

    def external_plan(self, available: frozenset[Channel]) -> list[Channel]:
        """The external channels to try, in order: wanted, configured and with an address to send to."""
        plan = []
        for channel in self.channels:
            if channel not in available or channel in plan or not self.address(channel):
                continue
            if channel is Channel.ZALO and not self.has_zalo:
                continue
            plan.append(channel)
        return plan


def default_profile(recipient_id: str, channels: tuple[Channel, ...]) -> RecipientProfile:
    """A recipient who never gave contact details: only the in-app inbox can reach them."""
    return RecipientProfile(recipient_id=recipient_id, channels=channels)
