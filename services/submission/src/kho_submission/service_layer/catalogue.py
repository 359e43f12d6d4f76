"""Loading and editing the catalogue: the built-in starting set and imports in the national format."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from pydantic import ValidationError

from kho_submission.adapters.repository import CatalogueRepository
from kho_submission.domain.catalogue import CatalogueImport
from kho_submission.domain.errors import Invalid


def parse(data: Any) -> CatalogueImport:
    try:
        return CatalogueImport.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Invalid(
            f"catalogue import is not valid: {where}: {first['msg']}",
            "Dữ liệu danh mục thủ tục không hợp lệ",
            code="bad_catalogue",
            errors=[{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()[:20]],
        ) from exc


def builtin() -> CatalogueImport:
    text = resources.files("kho_submission.data").joinpath("catalogue.json").read_text(encoding="utf-8")
    return parse(json.loads(text))


async def load(repo: CatalogueRepository, catalogue: CatalogueImport) -> dict[str, int]:
    known_areas = {a.code for a in await repo.areas()} | {a.code for a in catalogue.areas}
    for agency in catalogue.agencies:
        if agency.area_code not in known_areas:
            raise Invalid(
                f"agency {agency.code} refers to unknown area {agency.area_code}",
                "Cơ quan thuộc đơn vị hành chính không tồn tại",
                code="unknown_area",
            )
    for area in catalogue.areas:
        await repo.save_area(area)
    for agency in catalogue.agencies:
        await repo.save_agency(agency)
    for procedure in catalogue.procedures:
        await repo.save_procedure(procedure)
    return {
        "procedures": len(catalogue.procedures),
        "agencies": len(catalogue.agencies),
        "areas": len(catalogue.areas),
    }


async def seed_if_empty(repo: CatalogueRepository) -> None:
    if await repo.is_empty():
        await load(repo, builtin())
