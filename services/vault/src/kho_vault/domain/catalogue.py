"""The catalogue of document categories (Danh mục giấy tờ): data, not code. The built-in file is seeded with
the categories of the seed guide; an operator may point KHO_VAULT_CATEGORIES_FILE at another file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kho_contracts.common import RESULT_CODE_RE


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    result_code: str | None = None
    ministry: str | None = None


class Catalogue:
    def __init__(self, categories: list[Category]) -> None:
        self._by_code = {c.code: c for c in categories}
        self._by_result = {c.result_code: c for c in categories if c.result_code}

    def get(self, code: str | None) -> Category | None:
        return self._by_code.get(code) if code else None

    def by_result_code(self, result_code: str | None) -> Category | None:
        return self._by_result.get(result_code) if result_code else None

    def all(self) -> list[Category]:
        return sorted(self._by_code.values(), key=lambda c: c.code)

    @classmethod
    def load(cls, path: str = "") -> Catalogue:
        if path:
            raw = Path(path).read_text(encoding="utf-8")
        else:
            raw = resources.files("kho_vault.data").joinpath("categories.json").read_text(encoding="utf-8")
        items = json.loads(raw)["categories"]
        categories = []
        for item in items:
            result_code = item.get("result_code")
            if result_code and not RESULT_CODE_RE.match(result_code):
                raise ValueError(f"category {item['code']}: result code {result_code!r} is not KQ.Gxx.NNNNNN")
            categories.append(
                Category(code=item["code"], name=item["name"], result_code=result_code, ministry=item.get("ministry"))
            )
        return cls(categories)
