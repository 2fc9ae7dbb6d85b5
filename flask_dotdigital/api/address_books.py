"""Address books and their contacts (§3.3): the paged reads, creating a book and removing contacts
from one."""

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


def remove_contacts(client: Client, book_id: int, contact_ids: list[int]) -> None:
    """Take contacts out of an address book (they stay in the account): POST
    ``address-books/{id}/contacts/delete`` with the ids, answered 202 ``Started`` (§3.3).

    An empty list is refused before any call. Never send ``DELETE address-books/{id}/contacts``:
    that empties the whole book, and a missing contact id is how integrations ended up there
    (§6 item 9), so this module has no function for it.
    """
    if not contact_ids:
        raise ValueError("remove_contacts needs at least one contact id; an empty list is refused "
                         "so that no call can ever empty the whole address book.")
    client.request("POST", f"address-books/{book_id}/contacts/delete", json=sorted(set(contact_ids)))
