"""Operators' report: per issuing agency, how many disputes were opened and resolved, how, and how fast."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class AgencyDisputeStats:
    agency_code: str
    opened: int = 0
    resolved: int = 0
    corrected: int = 0
    rejected: int = 0
    still_open: int = 0
    escalated: int = 0
    resolved_within_deadline: int = 0
    _durations: list[float] = field(default_factory=list, repr=False)

    @property
    def mean_resolution_hours(self) -> float | None:
        return round(sum(self._durations) / len(self._durations) / 3600, 2) if self._durations else None

    @property
    def median_resolution_hours(self) -> float | None:
        if not self._durations:
            return None
        ordered = sorted(self._durations)
        mid = len(ordered) // 2
        value = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        return round(value / 3600, 2)

    @property
    def max_resolution_hours(self) -> float | None:
        return round(max(self._durations) / 3600, 2) if self._durations else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "agency_code": self.agency_code,
            "opened": self.opened,
            "resolved": self.resolved,
            "corrected": self.corrected,
            "rejected": self.rejected,
            "still_open": self.still_open,
            "escalated": self.escalated,
            "resolved_within_deadline": self.resolved_within_deadline,
            "mean_resolution_hours": self.mean_resolution_hours,
            "median_resolution_hours": self.median_resolution_hours,
            "max_resolution_hours": self.max_resolution_hours,
        }


def dispute_report(disputes: Iterable[Mapping[str, Any]], start: datetime, end: datetime) -> list[AgencyDisputeStats]:
    """Counts over the disputes opened in [start, end): `opened`, how many of them are still open or were
    escalated; and over the disputes resolved in [start, end): `resolved`, by outcome, within the deadline,
    and the resolution times (from opening to resolution)."""
    stats: dict[str, AgencyDisputeStats] = {}
    for d in disputes:
        agency = stats.setdefault(d["agency_code"], AgencyDisputeStats(d["agency_code"]))
        opened_at: datetime = d["opened_at"]
        if start <= opened_at < end:
            agency.opened += 1
            if d.get("status") == "open":
                agency.still_open += 1
            if d.get("escalated"):
                agency.escalated += 1
        resolution = d.get("resolution") or {}
        resolved_at: datetime | None = resolution.get("resolved_at")
        if resolved_at is not None and start <= resolved_at < end:
            agency.resolved += 1
            if resolution.get("outcome") == "corrected":
                agency.corrected += 1
            elif resolution.get("outcome") == "rejected":
                agency.rejected += 1
            overdue_at: datetime | None = d.get("overdue_at")
            if overdue_at is not None and resolved_at < overdue_at:
                agency.resolved_within_deadline += 1
            seconds = (resolved_at - opened_at).total_seconds()
            if math.isfinite(seconds) and seconds >= 0:
                agency._durations.append(seconds)
    return sorted(stats.values(), key=lambda s: s.agency_code)
