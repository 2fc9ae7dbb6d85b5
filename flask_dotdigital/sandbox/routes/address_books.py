"""Address-book routes (reference §3.3). For now only the paged list, ``GET /v2/address-books``,
which answers a bare JSON array of ``ApiAddressBook`` objects from the sandbox state.
"""

from __future__ import annotations

from flask import Blueprint, Response

from ..conventions import json_response, read_paging
from ..state import current_state


def list_address_books() -> Response:
    paging = read_paging()
    state = current_state()
    with state.lock:
        rows = [dict(book) for book in state.data.address_books]
    # Lists are bare arrays with no envelope or total count (§3.0).
    return json_response(paging.page(rows))


def register(regional: Blueprint) -> None:
    regional.add_url_rule("/v2/address-books", "address_books", list_address_books, methods=["GET"])
