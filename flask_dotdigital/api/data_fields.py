"""Data fields (§3.5)."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from .base import Client


def data_fields(client: Client) -> list[dict[str, Any]]:
    """Every data field of the account; the call is not paged."""
    body = client.request("GET", "data-fields")
    if not isinstance(body, list):
        raise ApiError("Dotdigital answered data-fields with something other than a list.")
    return [row for row in body if isinstance(row, dict)]
