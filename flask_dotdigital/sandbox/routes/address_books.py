"""Address-book routes (reference §3.3): the paged lists of books, one book, its contacts (all,
modified since a date, unsubscribed since a date) and the campaigns sent to it, creating a book,
and removing contacts from one (a list of ids, and the destructive remove-all). Every list is a
bare JSON array in id order, so ``select``/``skip`` paging is deterministic.

A book's contact list holds every member whatever its status. ``status`` there is the member's
per-book status (``Unsubscribed`` once they left this book), unless the contact is suppressed
at account level: that status wins.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response

from .. import wire
from ..conventions import (
    code_error,
    folded_json,
    json_response,
    read_enum,
    read_flag,
    read_paging,
    sentence_error,
)
from ..generator import BOOK_ID_BASE
from ..model import UNSUBSCRIBED, AccountData, AddressBook
from ..state import current_state

VISIBILITIES = ("Private", "Public")
#: No source gives a limit; 128 is the sandbox's strict guess [UNSURE].
MAX_BOOK_NAME = 128
#: Names the web app keeps for itself. Only the duplicate sentence is documented (M1-CLIENT, §3.3):
#: the reserved names and this sentence are the sandbox's guess [UNSURE].
RESERVED_BOOK_NAMES = frozenset({"test", "all contacts"})
INVALID = "ERROR_PARAMETER_INVALID"


def find_book(data: AccountData, book_id: int) -> AddressBook:
    book = data.address_books.get(book_id)
    if book is None:
        # Status 404 is inferred (§3.0); the message is the documented constant.
        raise code_error(404, "ERROR_ADDRESSBOOK_NOT_FOUND")
    return book


def book_status(data: AccountData, book: AddressBook, contact_id: int) -> str:
    return data.book_status(data.contacts[contact_id], book.members[contact_id])


def _list_books(visibility: str | None = None) -> Response:
    paging = read_paging()
    state = current_state()
    with state.lock:
        books = sorted(state.data.address_books.values(), key=lambda b: b.id)
        rows = [wire.address_book(b) for b in books if visibility in (None, b.visibility)]
    # Lists are bare arrays with no envelope or total count (§3.0).
    return json_response(paging.page(rows))


def list_address_books() -> Response:
    return _list_books()


def list_private_books() -> Response:
    return _list_books("Private")


def list_public_books() -> Response:
    return _list_books("Public")


def get_address_book(book_id: int) -> Response:
    state = current_state()
    with state.lock:
        return json_response(wire.address_book(find_book(state.data, book_id)))


def _new_book_name(body: Any) -> str:
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise sentence_error(400, "Name is required", INVALID)
    name = name.strip()
    if len(name) > MAX_BOOK_NAME:
        raise sentence_error(
            400, f"The address book name must be {MAX_BOOK_NAME} characters or less", INVALID
        )
    if name.lower() in RESERVED_BOOK_NAMES:
        raise sentence_error(
            400, "That name is reserved, please choose another", "ERROR_ADDRESSBOOK_RESERVED"
        )
    return name


def create_address_book() -> Response:
    """POST address-books: ``{"name", "visibility"}`` (keys in any case, visibility defaults to
    Private). Answers 201 with the new ApiAddressBook; the DOC example says 200 (§3.0 table)."""
    body = folded_json()
    name = _new_book_name(body)
    visibility = read_enum(body.get("visibility"), VISIBILITIES, "Private")
    state = current_state()
    with state.lock:
        data = state.data
        if any(b.name.lower() == name.lower() for b in data.address_books.values()):
            raise sentence_error(
                400, "That name is in use already, please choose another", "ERROR_ADDRESSBOOK_DUPLICATE"
            )
        book_id = max(data.address_books, default=BOOK_ID_BASE) + 1
        book = data.address_books[book_id] = AddressBook(book_id, name, visibility)
        return json_response(wire.address_book(book), 201)


def _book_contacts(book_id: int, since: str | None) -> Response:
    paging, full = read_paging(), read_flag("withFullData")
    moment = None if since is None else wire.parse_since(since)
    state = current_state()
    with state.lock:
        data = state.data
        book = find_book(data, book_id)
        ids = sorted(book.members)
        if moment is not None:
            ids = [cid for cid in ids if data.contacts[cid].modified > moment]
        fields = data.data_fields if full else None
        rows = [
            wire.contact(data.contacts[cid], fields, status=book_status(data, book, cid))
            for cid in paging.page(ids)
        ]
    return json_response(rows)


def list_book_contacts(book_id: int) -> Response:
    return _book_contacts(book_id, None)


def list_book_contacts_modified_since(book_id: int, since: str) -> Response:
    return _book_contacts(book_id, since)


def list_book_unsubscribed_since(book_id: int, since: str) -> Response:
    paging, moment = read_paging(), wire.parse_since(since)
    state = current_state()
    with state.lock:
        data = state.data
        book = find_book(data, book_id)
        left = [
            (cid, member.unsubscribed)
            for cid, member in sorted(book.members.items())
            if member.status == UNSUBSCRIBED
            and member.unsubscribed is not None
            and member.unsubscribed > moment
        ]
        rows = [
            wire.contact_suppression(
                data.contacts[cid], when, UNSUBSCRIBED, status=book_status(data, book, cid)
            )
            for cid, when in paging.page(left)
        ]
    return json_response(rows)


def list_book_campaigns(book_id: int) -> Response:
    paging = read_paging()
    state = current_state()
    with state.lock:
        data = state.data
        find_book(data, book_id)
        campaigns = [c for _, c in sorted(data.campaigns.items()) if book_id in c.books]
        rows = [wire.campaign(c) for c in paging.page(campaigns)]
    return json_response(rows)


def remove_contacts(book_id: int) -> Response:
    """POST address-books/{id}/contacts/delete with a JSON array of contact ids: 202
    ``{"id", "status": "Started"}`` (§3.3). The sandbox removes the memberships at once; ids that
    are not members are ignored. An empty or malformed list → 400 ``ERROR_PARAMETER_INVALID``."""
    ids = folded_json()
    if (
        not isinstance(ids, list)
        or not ids
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
    ):
        raise code_error(400, INVALID)
    state = current_state()
    with state.lock:
        book = find_book(state.data, book_id)
        for contact_id in ids:
            book.members.pop(contact_id, None)
    return json_response({"id": str(uuid.uuid4()), "status": "Started"}, 202)


def remove_all_contacts(book_id: int) -> Response:
    """DELETE address-books/{id}/contacts: empties the whole book, synchronously, 204. This is
    the call a missing contact id turns a single delete into (§6 item 9); the book id is
    recorded under ``destructive_delete_all`` so tests can assert that no client ever sends it."""
    state = current_state()
    with state.lock:
        book = find_book(state.data, book_id)
        state.destructive_delete_all.append(book_id)
        book.members.clear()
    return Response(status=204)


def register(regional: Blueprint) -> None:
    rules = (
        ("/v2/address-books", "address_books", list_address_books),
        ("/v2/address-books/private", "private_address_books", list_private_books),
        ("/v2/address-books/public", "public_address_books", list_public_books),
        ("/v2/address-books/<int:book_id>", "address_book", get_address_book),
        ("/v2/address-books/<int:book_id>/contacts", "address_book_contacts", list_book_contacts),
        (
            "/v2/address-books/<int:book_id>/contacts/modified-since/<since>",
            "address_book_contacts_modified_since",
            list_book_contacts_modified_since,
        ),
        (
            "/v2/address-books/<int:book_id>/contacts/unsubscribed-since/<since>",
            "address_book_contacts_unsubscribed_since",
            list_book_unsubscribed_since,
        ),
        ("/v2/address-books/<int:book_id>/campaigns", "address_book_campaigns", list_book_campaigns),
    )
    for rule, endpoint, view in rules:
        regional.add_url_rule(rule, endpoint, view, methods=["GET"])
    regional.add_url_rule("/v2/address-books", "create_address_book", create_address_book, methods=["POST"])
    regional.add_url_rule(
        "/v2/address-books/<int:book_id>/contacts/delete",
        "address_book_remove_contacts",
        remove_contacts,
        methods=["POST"],
    )
    regional.add_url_rule(
        "/v2/address-books/<int:book_id>/contacts",
        "address_book_remove_all_contacts",
        remove_all_contacts,
        methods=["DELETE"],
    )
