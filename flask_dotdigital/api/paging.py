"""v2 paging: ``select``/``skip`` over bare JSON arrays (§3.0, §6 Pagination)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import ApiError
from .base import Client

#: Both Oro and Magento page with 1000, the documented maximum for every list call (§2.2).
PAGE_SIZE = 1000
#: Oro's OverlapIterator: each page after the first starts 100 rows early, so that rows do not
#: slip between pages when the remote list shifts (a contact removed while we page) (§2.1 of Oro).
OVERLAP = 100


def pages(client: Client, path: str, params: dict[str, Any] | None = None, *,
          select: int = PAGE_SIZE, overlap: int = 0) -> Iterator[list[dict[str, Any]]]:
    """Yield each page of a list call until a short or empty page.

    With ``overlap``, consecutive pages repeat up to ``overlap`` rows; callers upsert, so the
    repeats are harmless.
    """
    if not 0 <= overlap < select:
        raise ValueError("overlap must be smaller than the page size")
    skip = 0
    while True:
        page = client.request("GET", path, params={**(params or {}), "select": select, "skip": skip})
        if not isinstance(page, list):
            raise ApiError(f"Dotdigital answered {path} with {type(page).__name__}, not a list.")
        rows = [row for row in page if isinstance(row, dict)]
        if rows:
            yield rows
        if len(page) < select:
            return
        skip += select - overlap


def flag(value: bool) -> str:
    """Query-string booleans are lowercase ``true``/``false`` (§3.0; Oro's ``1`` also works)."""
    return "true" if value else "false"
