"""Campaigns and their reporting (§3.6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from .base import Client
from .dates import path_date
from .paging import pages


def _since(path: str, since: datetime | None) -> str:
    return f"{path}/since-date/{path_date(since)}" if since is not None else path


def summary(client: Client, campaign_id: int) -> dict[str, Any]:
    body = client.request("GET", f"campaigns/{campaign_id}/summary")
    return body if isinstance(body, dict) else {}


def activities(client: Client, campaign_id: int, since: datetime | None = None
               ) -> Iterator[list[dict[str, Any]]]:
    return pages(client, _since(f"campaigns/{campaign_id}/activities", since))


def clicks(client: Client, campaign_id: int, since: datetime | None = None
           ) -> Iterator[list[dict[str, Any]]]:
    return pages(client, _since(f"campaigns/{campaign_id}/clicks", since))


def opens(client: Client, campaign_id: int, since: datetime | None = None
          ) -> Iterator[list[dict[str, Any]]]:
    return pages(client, _since(f"campaigns/{campaign_id}/opens", since))
