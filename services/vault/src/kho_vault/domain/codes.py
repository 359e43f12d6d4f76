"""Stored document codes (domain.md section 3):

- issued result: ``{owner id}.{KQ.Gxx.NNNNNN}.{tail}`` (tail: the document number or the issue date, opaque);
- digitized input component: ``{owner id}.{procedure code}.{document code}.{NN}``;
- electronically certified copy: ``{owner id}.{document code}.STP-SCT.{NN}``;
- the owner's own upload [choice]: ``{owner id}.{category code}.{NN}``;

NN is a 2-digit counter over the codes with the same prefix. Every code starts with the owner id, so codes
of different owners never collide and uniqueness is kept inside the owner's vault.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date

ISSUED_CODE_RE = re.compile(r"^(\d{9}|\d{12}|\d{10}(-\d{3})?)\.KQ\.G\d{2}\.\d{6}\.[0-9A-Za-z/\-]+$")
_TAIL_BAD = re.compile(r"[^0-9A-Za-z/\-]+")
_PART_BAD = re.compile(r"[^0-9A-Za-z.\-]+")


def clean_tail(text: str | None) -> str:
    """A document number as a code tail: letters, digits, '/' and '-' only (Vietnamese letters folded)."""
    from kho_vault.domain.text import fold

    if not text:
        return ""
    folded = fold(text).upper()
    return _TAIL_BAD.sub("-", folded).strip("-/")


def clean_part(text: str) -> str:
    from kho_vault.domain.text import fold

    return _PART_BAD.sub("-", fold(text).upper()).strip("-.")


def with_counter(prefix: str, taken: Collection[str]) -> str:
    """``{prefix}.{NN}`` with the first free 2-digit (then 3-digit…) counter."""
    n = 1
    while True:
        code = f"{prefix}.{n:02d}"
        if code not in taken:
            return code
        n += 1


def issued_result_code(
    owner_id: str, result_code: str, document_number: str | None, issue_date: date | None, taken: Collection[str]
) -> str:
    tail = clean_tail(document_number) or (issue_date.strftime("%d%m%Y") if issue_date else "")
    base = f"{owner_id}.{result_code}.{tail}" if tail else f"{owner_id}.{result_code}.1"
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def digitized_component_code(owner_id: str, procedure_code: str, document_code: str, taken: Collection[str]) -> str:
    return with_counter(f"{owner_id}.{clean_part(procedure_code)}.{clean_part(document_code)}", taken)


def certified_copy_code(owner_id: str, document_code: str, taken: Collection[str]) -> str:
    source = document_code
    if source.startswith(owner_id + "."):
        source = source[len(owner_id) + 1 :]
    return with_counter(f"{owner_id}.{clean_part(source)}.STP-SCT", taken)


def own_upload_code(owner_id: str, category_code: str, taken: Collection[str]) -> str:
    return with_counter(f"{owner_id}.{clean_part(category_code)}", taken)
