"""Account-level contact calls (§3.4)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from .base import Client
from .dates import path_date
from .paging import OVERLAP, pages


def suppressed_since(client: Client, since: datetime) -> Iterator[list[dict[str, Any]]]:
    """Account-wide suppressions (unsubscribes, bounces, complaints) since ``since``."""
    return pages(client, f"contacts/suppressed-since/{path_date(since)}", overlap=OVERLAP)
