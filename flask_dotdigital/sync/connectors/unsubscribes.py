"""Connector 4: unsubscribes, per book (unsubscribed-since) and for the whole account
(suppressed-since). The reason becomes the status; the removal date the unsubscribe date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam

from ...api.address_books import book_unsubscribes
from ...api.contacts import suppressed_since
from ...api.dates import parse_date
from ...models.enums import ContactStatus, coerce
from ..contacts_store import convert_contact, store_contacts, store_memberships
from ..context import SyncContext
from ..rows import books_to_import

NAME = "unsubscribed_contact"
#: Oro asks for unsubscribes since 1971-01-01 when a book was never imported.
BEGINNING = datetime(1971, 1, 1, tzinfo=UTC)


def _suppressions(ctx: SyncContext, pages: Iterator[list[dict[str, Any]]], label: str
                  ) -> Iterator[tuple[dict[str, int], list[tuple[str, Any, datetime | None]]]]:
    """Store each page's contacts; yield their ids with (email, reason, date) per suppression."""
    for number, page in enumerate(pages, start=1):
        ctx.counts.read += len(page)
        found = []
        contacts = []
        for item in page:
            suppressed = item.get("suppressedContact")
            row = convert_contact(ctx, suppressed) if isinstance(suppressed, dict) else None
            if row is None:
                ctx.counts.errors += 1
                continue
            row.pop("status", None)  # the reason below is the status that counts
            contacts.append(row)
            reason = coerce(ContactStatus, item.get("reason"), ContactStatus.Unsubscribed)
            found.append((row["email"], reason, parse_date(item.get("dateRemoved"))))
        yield store_contacts(ctx, contacts), found
        ctx.commit()
        ctx.progress(f"{label}: page {number}")


def run(ctx: SyncContext) -> None:
    contact = ctx.models.Contact
    membership = ctx.models.AddressBookContact
    for book in books_to_import(ctx):
        if book.origin_id is None:
            continue
        scope = f"book:{book.id}"
        pages = book_unsubscribes(ctx.client, book.origin_id, ctx.cursor(scope) or BEGINNING)
        for ids, found in _suppressions(ctx, pages, book.name):
            store_memberships(ctx, book.id, {ids[e]: reason for e, reason, _ in found},
                              {ids[e]: when for e, _, when in found})
        ctx.advance(scope)
    # Account-wide suppressions set the contact's status and that of all its memberships.
    pages = suppressed_since(ctx.client, ctx.cursor("account") or BEGINNING)
    contacts = contact.__table__
    memberships = membership.__table__
    by_contact = [contacts.update().where(contacts.c.id == bindparam("c_id")),
                  memberships.update().where(memberships.c.contact_id == bindparam("c_id"))]
    for ids, found in _suppressions(ctx, pages, "account"):
        params = [{"c_id": ids[email], "status": reason.value, "unsubscribed_date": when}
                  for email, reason, when in found]
        if params:
            for statement in by_contact:  # one executemany per table, not one UPDATE per row
                ctx.session.execute(statement.values(status=bindparam("status"),
                                                     unsubscribed_date=bindparam("unsubscribed_date")),
                                    params)
    ctx.advance("account")
