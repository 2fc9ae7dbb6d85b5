"""Connector 3: contacts of the imported books.

The first run of a book is a full import; later runs ask for contacts modified since the book's
last successful import, always with their data fields (withFullData). Pages overlap by 100 rows.
"""

from __future__ import annotations

from sqlalchemy import update

from ...api.address_books import book_contacts
from ..contacts_store import convert_contact, store_contacts, store_memberships
from ..context import SyncContext
from ..rows import books_to_import
from ..upsert import ANALYZE_AFTER_PAGES, refresh_statistics

NAME = "contact"
#: Pages stored per commit. A commit costs a disk sync; a failed run redoes at most these pages
#: (the book's cursor moves only once the whole connector succeeded).
COMMIT_EVERY = 10


def run(ctx: SyncContext) -> None:
    for book in books_to_import(ctx):
        if book.origin_id is None:
            continue
        scope = f"book:{book.id}"
        since = ctx.cursor(scope)
        pages = book_contacts(ctx.client, book.origin_id, since=since)
        for number, page in enumerate(pages, start=1):
            rows = [row for row in (convert_contact(ctx, item) for item in page) if row]
            ctx.counts.read += len(page)
            ctx.counts.errors += len(page) - len(rows)
            ids = store_contacts(ctx, rows)
            store_memberships(ctx, book.id, {ids[r["email"]]: r.get("status") for r in rows})
            if number % COMMIT_EVERY == 0:
                ctx.commit()
            if since is None and number == ANALYZE_AFTER_PAGES:
                refresh_statistics(ctx.session, ctx.models.Contact.__table__,
                                   ctx.models.AddressBookContact.__table__)
            ctx.progress(f"{book.name}: page {number}")
        ctx.commit()
        ctx.advance(scope)


def after_success(ctx: SyncContext) -> None:
    """Oro shows a book's last import date; it is the same instant as the book's cursor."""
    book = ctx.models.AddressBook
    ids = [int(scope.split(":")[1]) for scope in ctx.new_cursors if scope.startswith("book:")]
    if ids:
        ctx.session.execute(update(book).where(book.id.in_(ids)).values(
            last_imported_at=ctx.started_at))
