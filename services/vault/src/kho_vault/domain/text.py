"""Vietnamese text for search: folded to lower-case ASCII ("Giấy khai sinh" -> "giay khai sinh") and cut into
tokens, so that a search is case- and diacritics-insensitive and matches whole words and prefixes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_TOKEN_RE = re.compile(r"[0-9a-z]+")
_LETTER_MAP = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


def fold(text: str) -> str:
    """Lower-case ASCII without diacritics."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTER_MAP))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.lower()


def words(text: str | None) -> list[str]:
    """The folded words of a text, in order (duplicates kept)."""
    if not text:
        return []
    return _TOKEN_RE.findall(fold(text))


def tokens(text: str | None, *, whole: bool = False) -> list[str]:
    """The distinct search tokens of a field. With `whole`, the whole folded value (codes, numbers) is a token
    too, so that "052090000495.KQ.G15" finds "052090000495.KQ.G15.000021.02022024" by prefix."""
    found = list(dict.fromkeys(words(text)))
    if whole and text:
        compact = fold(text).strip()
        if compact and compact not in found:
            found.append(compact)
    return found


def matches(query_terms: Iterable[str], field_tokens: Iterable[str]) -> bool:
    """Every query term is a whole token of the field or the beginning of one."""
    toks = list(field_tokens)
    return all(any(t == term or t.startswith(term) for t in toks) for term in query_terms)


def query_terms(text: str) -> list[str]:
    """The terms of a search string: its folded words ("052090000495.KQ.G15" -> 052090000495, kq, g15)."""
    return words(text)
