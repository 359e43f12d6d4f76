"""Candidates for a dossier component: the owner's active, visible, valid and undisputed documents whose
category or result-type code the component accepts, ranked, each with the reasons it fits. The submission
service attaches a single candidate automatically and lets the citizen pick among several."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from kho_contracts.common import StoreKind

from kho_vault.domain.document import ACTIVE, Entry, hidden_from_owner, is_valid_on


@dataclass(frozen=True)
class ComponentNeed:
    component_code: str
    category_codes: tuple[str, ...]
    result_codes: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float
    reasons: list[str]


def usable(entry: Entry, on: date) -> bool:
    return (
        entry["status"] == ACTIVE
        and not hidden_from_owner(entry)
        and entry.get("visible", True) is not False
        and not entry.get("dispute")
        and is_valid_on(entry, on)
    )


def _score(entry: Entry, need: ComponentNeed, on: date) -> Candidate | None:
    reasons: list[str] = []
    score = 0.0
    if entry.get("result_code") and entry["result_code"] in need.result_codes:
        score += 50
        reasons.append(f"result_code:{entry['result_code']}")
    if entry.get("category_code") and entry["category_code"] in need.category_codes:
        score += 40
        reasons.append(f"category:{entry['category_code']}")
    if not reasons:
        return None
    until = entry.get("valid_until")
    reasons.append(f"valid_until:{until}" if until else "valid:no_expiry")
    score += 5 if not until else min(5.0, (date.fromisoformat(until) - on).days / 73.0)
    verdict = entry.get("verdict") or {}
    if entry.get("store_kind") == StoreKind.AGENCY_ISSUED:
        score += 10
        reasons.append("issued_by_agency")
    elif verdict.get("indication") == "TOTAL_PASSED":
        score += 8
        reasons.append(f"signature:{verdict.get('policy') or 'passed'}")
    issued = entry.get("issue_date")
    if issued:
        age_days = max(0, (on - date.fromisoformat(issued)).days)
        score += max(0.0, 5.0 - age_days / 365.0)
        reasons.append(f"issued:{issued}")
    return Candidate(entry=entry, score=round(score, 3), reasons=reasons)


def rank(entries: Iterable[Entry], need: ComponentNeed, on: date, limit: int) -> list[Candidate]:
    found = [c for e in entries if usable(e, on) and (c := _score(e, need, on)) is not None]
    found.sort(key=lambda c: c.entry["id"])
    found.sort(key=lambda c: (c.score, c.entry.get("issue_date") or ""), reverse=True)
    return found[:limit]
