"""Reuse KPI per agency, area and period, from the dossiers received in the period."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from kho_submission.domain import kpi
from kho_submission.domain.errors import Forbidden, Invalid
from kho_submission.service_layer.context import Caller, Context

GROUPS = ("agency", "area", "none")


async def indicators(
    ctx: Context,
    caller: Caller,
    *,
    agency_code: str | None,
    area_code: str | None,
    start: date,
    end: date,
    group_by: str,
) -> dict[str, Any]:
    p = caller.principal
    if p.is_officer:
        if agency_code not in (None, p.agency_code) or area_code:
            raise Forbidden("officers see their own agency only", "Cán bộ chỉ xem số liệu của cơ quan mình")
        agency_code = p.agency_code
    elif not p.is_operator:
        raise Forbidden("officers and operators only", "Chỉ cán bộ, quản trị viên được xem số liệu")
    if end < start:
        raise Invalid("the period ends before it starts", "Khoảng thời gian không hợp lệ", code="bad_period")
    if group_by not in GROUPS:
        raise Invalid(f"group_by must be one of {GROUPS}", "Cách nhóm số liệu không hợp lệ", code="bad_group")
    zone = ctx.settings.local_zone
    filter_: dict[str, Any] = {
        "submitted_at": {
            "$gte": datetime.combine(start, time.min, zone).astimezone(UTC),
            "$lt": datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC),
        }
    }
    if agency_code:
        filter_["agency_code"] = agency_code
    if area_code:
        filter_["area_code"] = area_code
    rows = await ctx.dossiers.for_indicators(filter_)
    target = ctx.settings.reuse_target
    groups: dict[str, list[dict[str, Any]]] = {}
    if group_by != "none":
        key = "agency_code" if group_by == "agency" else "area_code"
        for row in rows:
            groups.setdefault(row.get(key) or "", []).append(row)
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "agency_code": agency_code,
        "area_code": area_code,
        "target": target,
        "total": kpi.compute(rows, target).as_dict(),
        "groups": {name: kpi.compute(items, target).as_dict() for name, items in sorted(groups.items())},
        "_rows": rows,
    }


def as_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(kpi.CSV_COLUMNS)
    target = report["target"]
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in report["_rows"]:
        groups.setdefault(row.get("agency_code") or "", []).append(row)
    for name, items in sorted(groups.items()):
        writer.writerow(kpi.csv_row(name, kpi.compute(items, target)))
    writer.writerow(kpi.csv_row("total", kpi.compute(report["_rows"], target)))
    return out.getvalue()
