"""Listing and searching one vault: the six searchable fields over normalized token arrays, the filters, a
stable order (newest first, then id) and pages with the total count."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from kho_vault.domain.document import DELETED, SEARCH_FIELDS, Entry
from kho_vault.domain.text import matches, query_terms


@dataclass(frozen=True)
class SearchQuery:
    q: str | None = None
    fields: dict[str, str] = field(default_factory=dict)  # one of SEARCH_FIELDS -> text
    document_type: str | None = None
    category: str | None = None
    issuer: str | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    include_hidden: bool = False


@dataclass(frozen=True)
class Page:
    items: list[Entry]
    total: int
    page: int
    page_size: int


def _text_filter(query: SearchQuery) -> Callable[[Entry], bool]:
    wanted = [(name, query_terms(text)) for name, text in query.fields.items() if text and text.strip()]
    anywhere = query_terms(query.q) if query.q and query.q.strip() else []

    def keep(entry: Entry) -> bool:
        index: dict[str, list[str]] = entry.get("search") or {}
        for name, terms in wanted:
            if terms and not matches(terms, index.get(name, ())):
                return False
        if anywhere:
            every = [t for name in SEARCH_FIELDS for t in index.get(name, ())]
            if not matches(anywhere, every):
                return False
        return True

    return keep


def _day(entry: Entry) -> str:
    issued: str | None = entry.get("issue_date")
    return issued or entry["created_at"].date().isoformat()


def matching(entries: Iterable[Entry], query: SearchQuery) -> list[Entry]:
    text_ok = _text_filter(query)
    found = []
    for e in entries:
        if query.status:
            if e["status"] != query.status:
                continue
        elif e["status"] == DELETED:
            continue
        if not query.include_hidden and e.get("visible") is False and query.status != DELETED:
            continue
        if query.document_type and e["document_type"] != query.document_type:
            continue
        if query.category and e.get("category_code") != query.category:
            continue
        if query.issuer and query.issuer not in (e.get("issuing_agency_code"), e.get("issuing_agency_name")):
            continue
        if query.date_from and _day(e) < query.date_from.isoformat():
            continue
        if query.date_to and _day(e) > query.date_to.isoformat():
            continue
        if text_ok(e):
            found.append(e)
    found.sort(key=lambda e: e["id"])
    found.sort(key=lambda e: e["created_at"], reverse=True)
    return found


def page_of(entries: list[Entry], page: int, page_size: int) -> Page:
    start = (page - 1) * page_size
    return Page(items=entries[start : start + page_size], total=len(entries), page=page, page_size=page_size)
