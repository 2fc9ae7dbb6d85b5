"""v2 paging: ``select``/``skip`` over bare JSON arrays (§3.0, §6 Pagination)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
    repeats are harmless. While the caller stores a page, the next one is already being fetched
    (in one helper thread, one call at a time): Dotdigital's answer time and our database writes
    overlap instead of adding up. Only a page the list certainly has is fetched ahead.
    """
    if not 0 <= overlap < select:
        raise ValueError("overlap must be smaller than the page size")

    def fetch(skip: int) -> Any:
        return client.request("GET", path, params={**(params or {}), "select": select, "skip": skip})

    skip = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dotdigital-page") as ahead:
        coming = ahead.submit(fetch, skip)
        while True:
            page = coming.result()
            if not isinstance(page, list):
                raise ApiError(f"Dotdigital answered {path} with {type(page).__name__}, not a list.")
            more = len(page) >= select
            if more:
                skip += select - overlap
                coming = ahead.submit(fetch, skip)
            rows = [row for row in page if isinstance(row, dict)]
            if rows:
                yield rows
            if not more:
                return


def flag(value: bool) -> str:
    """Query-string booleans are lowercase ``true``/``false`` (§3.0; Oro's ``1`` also works)."""
    return "true" if value else "false"
