"""The reuse and digitization indicators, computed from the dossiers themselves (never estimated).

Per the national citizen-service index (QĐ 766/QĐ-TTg), over the dossiers received in a period:
4.1 electronic results, 4.2 digitization, 4.3 reuse (the district's target, 60% in 2024), 4.4 sharing with
the personal vault; and, as our own addition, component-level reuse and missed reuse (a valid fitting
document was in the vault at submission, yet the component was uploaded or scanned again).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return round(self.numerator / self.denominator, 4) if self.denominator else None

    def as_dict(self) -> dict[str, Any]:
        return {"numerator": self.numerator, "denominator": self.denominator, "value": self.value}


@dataclass(frozen=True)
class Indicators:
    dossiers: int
    electronic_results: Ratio  # 4.1
    digitization: Ratio  # 4.2
    reuse: Ratio  # 4.3
    personal_vault: Ratio  # 4.4
    component_reuse: Ratio
    missed_reuse_components: int
    dossiers_with_missed_reuse: int
    target: float

    @property
    def meets_target(self) -> bool | None:
        value = self.reuse.value
        return None if value is None else value >= self.target

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in asdict(self).items():
            attr = getattr(self, name)
            out[name] = attr.as_dict() if isinstance(attr, Ratio) else value
        out["indicators"] = {
            "4.1": self.electronic_results.value,
            "4.2": self.digitization.value,
            "4.3": self.reuse.value,
            "4.4": self.personal_vault.value,
        }
        out["meets_target"] = self.meets_target
        return out


def compute(dossiers: Iterable[dict[str, Any]], target: float) -> Indicators:
    """`dossiers`: stored dossiers (received in the period), each with `returns_document`, `components`
    (with `flags`, `source`, `candidates_at_submit`) and `results` (issued electronic results)."""
    count = with_result_doc = electronic = digitized = reused = personal = 0
    components = reused_components = missed = dossiers_missed = 0
    for dossier in dossiers:
        count += 1
        parts = dossier.get("components") or []
        results = dossier.get("results") or []
        has_electronic_result = any(r.get("file") for r in results)
        if dossier.get("returns_document"):
            with_result_doc += 1
            electronic += has_electronic_result
        all_files = all(
            (c.get("flags") or {}).get("digitized") for c in parts if c.get("document") or c.get("mandatory")
        )
        digitized += all_files and has_electronic_result
        reused += any((c.get("flags") or {}).get("reused") for c in parts)
        personal += any((c.get("flags") or {}).get("from_personal_vault") for c in parts) or has_electronic_result
        components += len(parts)
        reused_components += sum(1 for c in parts if (c.get("flags") or {}).get("reused"))
        missed_here = sum(1 for c in parts if c.get("missed_reuse"))
        missed += missed_here
        dossiers_missed += missed_here > 0
    return Indicators(
        dossiers=count,
        electronic_results=Ratio(electronic, with_result_doc),
        digitization=Ratio(digitized, count),
        reuse=Ratio(reused, count),
        personal_vault=Ratio(personal, count),
        component_reuse=Ratio(reused_components, components),
        missed_reuse_components=missed,
        dossiers_with_missed_reuse=dossiers_missed,
        target=target,
    )


CSV_COLUMNS = (
    "group",
    "dossiers",
    "4.1_electronic_results",
    "4.2_digitization",
    "4.3_reuse",
    "4.4_personal_vault",
    "component_reuse",
    "missed_reuse_components",
    "dossiers_with_missed_reuse",
    "target_4.3",
    "meets_target",
)


def csv_row(group: str, ind: Indicators) -> list[str]:
    def fmt(r: Ratio) -> str:
        return "" if r.value is None else f"{r.value:.4f}"

    return [
        group,
        str(ind.dossiers),
        fmt(ind.electronic_results),
        fmt(ind.digitization),
        fmt(ind.reuse),
        fmt(ind.personal_vault),
        fmt(ind.component_reuse),
        str(ind.missed_reuse_components),
        str(ind.dossiers_with_missed_reuse),
        f"{ind.target:.2f}",
        "" if ind.meets_target is None else str(ind.meets_target).lower(),
    ]
