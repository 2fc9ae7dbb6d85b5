"""Address books and their contacts (§3.3): the paged reads and creating a book."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ..errors import ApiError
from .base import Client
from .dates import path_date
from .paging import OVERLAP, flag, pages


def address_books(client: Client) -> Iterator[list[dict[str, Any]]]:
    return pages(client, "address-books")


def create_address_book(client: Client, name: str, visibility: str = "Private") -> dict[str, Any]:
    """Create an address book and return it as ApiAddressBook (§3.3: 201 per SWAG, 200 per DOC).

    A taken name answers 400 ``ERROR_ADDRESSBOOK_DUPLICATE``, raised by the client as ApiError.
    """
    body = client.request("POST", "address-books", json={"name": name, "visibility": visibility})
    if not isinstance(body, dict) or body.get("id") is None:
        raise ApiError("Dotdigital answered the new address book without its id.")
    return body


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
