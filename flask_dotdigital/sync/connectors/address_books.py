"""Connector 1: address books. Upsert every book; delete local books Dotdigital no longer has."""

from __future__ import annotations

from sqlalchemy import delete, select, true

from ...api.address_books import address_books
from ...models.enums import Visibility, coerce
from ..context import SyncContext
from ..rows import as_int, as_text, write

NAME = "address_book"


def run(ctx: SyncContext) -> None:
    book = ctx.models.AddressBook
    seen: set[int] = set()
    for number, page in enumerate(address_books(ctx.client), start=1):
        rows = []
        for item in page:
            origin = as_int(item.get("id"))
            if origin is None:
                ctx.counts.errors += 1
                continue
            seen.add(origin)
            rows.append({"integration_id": ctx.integration_id, "origin_id": origin,
                         "name": as_text(item.get("name")) or f"Address book {origin}",
                         "visibility": coerce(Visibility, item.get("visibility")),
                         "contact_count": as_int(item.get("contacts"))})
        ctx.counts.read += len(page)
        write(ctx, book, rows, ["integration_id", "origin_id"])
        ctx.commit()
        ctx.progress(f"page {number}")
    gone = list(ctx.session.execute(select(book.id).where(
        book.integration_id == ctx.integration_id,
        book.origin_id.is_not(None), book.origin_id.not_in(seen) if seen else true())).scalars())
    if gone:
        # Dependents first: SQLite enforces ON DELETE CASCADE only when the host enabled it.
        ctx.session.execute(delete(ctx.models.AddressBookContact).where(
            ctx.models.AddressBookContact.address_book_id.in_(gone)))
        links = ctx.models.campaign_address_book
        ctx.session.execute(delete(links).where(links.c.address_book_id.in_(gone)))
        ctx.session.execute(delete(book).where(book.id.in_(gone)))
        ctx.counts.deleted += len(gone)
        ctx.commit()
