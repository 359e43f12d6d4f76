"""Text for narrow channels: Vietnamese without diacritics, GSM-7 and UCS-2 lengths of an SMS, shortening.

A brandname SMS is usually sent without diacritics (GSM-7: 160 characters in one segment, 153 in each segment
of a long message); with diacritics it is UCS-2 (70 characters, 67 per segment of a long message).
"""

from __future__ import annotations

import unicodedata

# The GSM 03.38 default alphabet and its extension table (each extension character takes two septets).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€")

_ASCII_FOR = {
    "đ": "d",
    "Đ": "D",
    "–": "-",
    "—": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "\u00a0": " ",
    "\t": " ",
}

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


def strip_diacritics(text: str) -> str:
    """Vietnamese folded to plain Latin letters: "Hồ sơ đã được tiếp nhận" -> "Ho so da duoc tiep nhan"."""
    text = "".join(_ASCII_FOR.get(ch, ch) for ch in text)
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def to_gsm7(text: str) -> str:
    """The text in the GSM-7 alphabet: diacritics removed, anything else outside the alphabet replaced by '?'."""
    plain = strip_diacritics(text)
    return "".join(ch if ch in GSM7_BASIC or ch in GSM7_EXTENSION else "?" for ch in plain)


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def sms_units(text: str) -> tuple[str, int]:
    """("gsm7", septets) or ("ucs2", UTF-16 code units) of a message text."""
    if is_gsm7(text):
        return "gsm7", sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
    return "ucs2", len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    encoding, units = sms_units(text)
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if encoding == "gsm7" else (UCS2_SINGLE, UCS2_MULTI)
    if units <= single:
        return 1
    return -(-units // multi)


def sms_capacity(encoding: str, segments: int) -> int:
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if encoding == "gsm7" else (UCS2_SINGLE, UCS2_MULTI)
    return single if segments <= 1 else multi * segments


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """At most `limit` characters; cut at a word boundary when one is near, marked with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return text[:limit]
    cut = text[: limit - len(ellipsis)]
    space = cut.rfind(" ")
    if space >= len(cut) * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + ellipsis
