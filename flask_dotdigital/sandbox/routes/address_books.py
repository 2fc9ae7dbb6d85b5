"""Address-book routes (reference §3.3): the paged lists of books, one book, its contacts (all,
modified since a date, unsubscribed since a date) and the campaigns sent to it. Every list is a
bare JSON array in id order, so ``select``/``skip`` paging is deterministic.

A book's contact list holds every member whatever its status. ``status`` there is the member's
per-book status (``Unsubscribed`` once they left this book), unless the contact is suppressed
at account level: that status wins.
"""

from __future__ import annotations

from flask import Blueprint, Response

from .. import wire
from ..conventions import code_error, json_response, read_flag, read_paging
from ..model import UNSUBSCRIBED, AccountData, AddressBook
from ..state import current_state


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
