"""Address books and their contacts (§3.3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from .base import Client
from .dates import path_date
from .paging import OVERLAP, flag, pages


def address_books(client: Client) -> Iterator[list[dict[str, Any]]]:
    return pages(client, "address-books")


def book_contacts(client: Client, book_id: int, *, since: datetime | None = None,
                  full_data: bool = True) -> Iterator[list[dict[str, Any]]]:
    """Members of a book: all of them, or those modified since ``since`` (with overlap)."""
    path = f"address-books/{book_id}/contacts"
    if since is not None:
        path += f"/modified-since/{path_date(since)}"
    return pages(client, path, {"withFullData": flag(full_data)}, overlap=OVERLAP)


def book_unsubscribes(client: Client, book_id: int, since: datetime) -> Iterator[list[dict[str, Any]]]:
    return pages(client, f"address-books/{book_id}/contacts/unsubscribed-since/{path_date(since)}",
                 overlap=OVERLAP)


def book_campaigns(client: Client, book_id: int) -> Iterator[list[dict[str, Any]]]:
    return pages(client, f"address-books/{book_id}/campaigns")
