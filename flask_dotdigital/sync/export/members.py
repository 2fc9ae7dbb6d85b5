"""Step 3: bring the list's members into local contacts and mark the rows to send.

Members are read in keyset pages (``entity_id > last``), so each page is a fresh, short query and
the batch can be committed; nothing loads the whole list into memory. A member is scheduled when
it is new to the book, when its exported values changed, or when change tracking flagged it.
Members Dotdigital reports unsubscribed or suppressed are never sent again (§6 item 4).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from ...marketing_lists import members_query
from ...models.enums import ACTIVE_STATUSES, ContactStatus
from ..context import SyncContext
from ..rows import write
from .values import MappedField, member_values, values_hash

BATCH = 1000


def member_pages(ctx: SyncContext, marketing_list: Any, source: Any) -> Iterator[list[Any]]:
    last = None
    query = members_query(marketing_list, source, ctx.models)
    while True:
        page_query = query if last is None else query.where(source.id_column > last)
        page = list(ctx.session.execute(page_query.limit(BATCH)))
        if not page:
            return
        yield page
        last = page[-1].entity_id


def sync_members(ctx: SyncContext, book: Any, marketing_list: Any, source: Any,
                 fields: list[MappedField]) -> set[int]:
    """Upsert contacts and memberships for every member; return the members' entity ids."""
    seen: set[int] = set()
    for page in member_pages(ctx, marketing_list, source):
        seen.update(row.entity_id for row in page)
        _sync_page(ctx, book, source, fields, page)
        ctx.commit()
        ctx.progress(f"{book.name}: {len(seen)} members")
    return seen


def _sync_page(ctx: SyncContext, book: Any, source: Any, fields: list[MappedField], page: list[Any]) -> None:
    contact, member = ctx.models.Contact, ctx.models.AddressBookContact
    emails = {row.email for row in page}
    counts = (ctx.counts.created, ctx.counts.updated)
    write(ctx, contact, [{"integration_id": ctx.integration_id, "email": e} for e in emails],
          ["integration_id", "email"], update=[])
    ctx.counts.created, ctx.counts.updated = counts
    contacts = {c.email: c for c in ctx.session.execute(select(
        contact.id, contact.email, contact.origin_id, contact.status).where(
        contact.integration_id == ctx.integration_id, contact.email.in_(emails)))}
    existing = {m.contact_id: m for m in ctx.session.execute(select(
        member.contact_id, member.status, member.exported_hash, member.entity_updated,
        member.scheduled_for_export).where(member.address_book_id == book.id,
                                           member.contact_id.in_([c.id for c in contacts.values()])))}
    values = member_values(ctx.db, source, fields, [row.entity_id for row in page])
    rows = []
    for row in page:
        local = contacts[row.email]
        known = existing.get(local.id)
        if _suppressed(local.status) or (known is not None and _suppressed(known.status)):
            continue  # unsubscribed in Dotdigital: never resubscribed by an export
        data = values.get(row.entity_id, {})
        digest = values_hash(row.email, data)
        changed = known is None or known.exported_hash != digest or known.entity_updated
        rows.append({
            "integration_id": ctx.integration_id, "address_book_id": book.id, "contact_id": local.id,
            "marketing_list_item_class": source.key, "marketing_list_item_id": row.entity_id,
            "status": ContactStatus.Subscribed if known is None else known.status,
            "pending_values": data, "pending_hash": digest,
            "scheduled_for_export": changed or bool(known and known.scheduled_for_export),
            "export_operation_type": "new" if local.origin_id is None else "add" if known is None
            else "update"})
        if changed:
            ctx.counts.updated += known is not None
            ctx.counts.created += known is None
    counts = (ctx.counts.created, ctx.counts.updated)
    write(ctx, member, rows, ["address_book_id", "contact_id"])
    ctx.counts.created, ctx.counts.updated = counts


def _suppressed(status: Any) -> bool:
    return status is not None and ContactStatus(status) not in ACTIVE_STATUSES
