"""The fee for electronically certifying a copy from its original (fee circular): 2,000 VND a page for the
first two pages, 1,000 VND a page from the third, at most 200,000 VND a copy."""

from __future__ import annotations

FIRST_PAGES_FEE = 2_000
FIRST_PAGES = 2
NEXT_PAGE_FEE = 1_000
MAX_PER_COPY = 200_000


def certification_fee(pages: int, copies: int = 1) -> int:
    if pages < 1 or copies < 1:
        raise ValueError("a certified copy has at least one page and one copy")
    per_copy = FIRST_PAGES_FEE * min(pages, FIRST_PAGES) + NEXT_PAGE_FEE * max(pages - FIRST_PAGES, 0)
    return min(per_copy, MAX_PER_COPY) * copies
