"""Step 3: bring the list's new and changed members into the book, and mark the rows to send.

A run's database work follows the change, not the size of the list. Two queries find the work:

- **new members**: list members with no membership row linked to them in this book (an anti-join
  on the entity id, so both sides are index lookups). A brand-new book finds its whole list here.
- **changed members**: rows whose ``entity_updated`` flag change tracking raised, or that a mapping
  change, the nightly force sync or the periodic recheck flagged.

Both are read in keyset pages of ``BATCH`` rows, committed one page at a time; nothing loads the
whole list into memory. Members who left the list are found by the opposite anti-join, in
``removal``. Writes that bypass SQLAlchemy's unit of work (raw SQL, bulk updates) are invisible to
change tracking: every ``DOTDIGITAL_EXPORT_RECHECK_HOURS`` the book's members are all flagged once,
so such a change goes out within a day.

Members Dotdigital reports unsubscribed or suppressed are never sent again (§6 item 4).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, select, update

from ...marketing_lists import members_query
from ...models.enums import ACTIVE_STATUSES, ContactStatus
from ...models.types import utcnow
from ..context import SyncContext
from ..upsert import ANALYZE_AFTER_PAGES, refresh_statistics, upsert
from .values import MappedField, member_values, values_hash

BATCH = 1000


def sync_members(ctx: SyncContext, book: Any, marketing_list: Any, source: Any,
                 fields: list[MappedField]) -> None:
    """Add the list's new members to the book, then refresh the flagged ones."""
    _recheck_if_due(ctx, book)
    added = 0
    for number, page in enumerate(_new_members(ctx, book, marketing_list, source), start=1):
        added += _add(ctx, book, source, fields, page)
        ctx.commit()
        if number == ANALYZE_AFTER_PAGES:
            refresh_statistics(ctx.session, ctx.models.Contact.__table__,
                               ctx.models.AddressBookContact.__table__)
        ctx.progress(f"{book.name}: {added} new members")
    refreshed = 0
    for page in _flagged(ctx, book, source):
        refreshed += _refresh(ctx, book, marketing_list, source, fields, page)
        ctx.commit()
        ctx.progress(f"{book.name}: {refreshed} changed members")


def _recheck_if_due(ctx: SyncContext, book: Any) -> None:
    hours = float(current_app.config["DOTDIGITAL_EXPORT_RECHECK_HOURS"])
    now = utcnow()
    if book.members_checked_at is not None and (hours <= 0 or now - book.members_checked_at
                                                < timedelta(hours=hours)):
        return
    member = ctx.models.AddressBookContact
    ctx.session.execute(update(member).where(
        member.address_book_id == book.id, member.marketing_list_item_id.is_not(None),
        member.entity_updated.is_(False)).values(entity_updated=True))
    book.members_checked_at = now
    ctx.commit()


def linked_to(member: Any, book: Any, source: Any) -> Any:
    """The membership row of ``book`` linked to the current row of ``source``."""
    return and_(member.address_book_id == book.id, member.marketing_list_item_class == source.key,
                member.marketing_list_item_id == source.id_column)


def _new_members(ctx: SyncContext, book: Any, marketing_list: Any, source: Any) -> Iterator[list[Any]]:
    member = ctx.models.AddressBookContact
    query = members_query(marketing_list, source, ctx.models).where(
        ~exists().where(linked_to(member, book, source)))
    last = None
    while True:
        page_query = query if last is None else query.where(source.id_column > last)
        page = list(ctx.session.execute(page_query.limit(BATCH)))
        if not page:
            return
        yield page
        last = page[-1].entity_id


def _flagged(ctx: SyncContext, book: Any, source: Any) -> Iterator[list[Any]]:
    member, contact = ctx.models.AddressBookContact, ctx.models.Contact
    last = 0
    while True:
        page = ctx.session.execute(
            select(member.id, member.marketing_list_item_id, member.status, member.exported_hash,
                   member.scheduled_for_export, contact.email, contact.status.label("contact_status"))
            .join(contact, member.contact_id == contact.id)
            .where(member.address_book_id == book.id, member.marketing_list_item_class == source.key,
                   member.entity_updated.is_(True), member.id > last)
            .order_by(member.id).limit(BATCH)).all()
        if not page:
            return
        yield page
        last = page[-1].id


def _add(ctx: SyncContext, book: Any, source: Any, fields: list[MappedField], page: list[Any]) -> int:
    """Link a page of new members to local contacts and book rows; return how many are scheduled."""
    contact, member = ctx.models.Contact, ctx.models.AddressBookContact
    emails = {row.email for row in page}
    upsert(ctx.session, contact.__table__,
           [{"integration_id": ctx.integration_id, "email": e, "created_at": ctx.started_at,
             "updated_at": ctx.started_at} for e in sorted(emails)],
           ["integration_id", "email"], update=[])
    contacts = {c.email: c for c in ctx.session.execute(select(
        contact.id, contact.email, contact.origin_id, contact.status).where(
        contact.integration_id == ctx.integration_id, contact.email.in_(emails)))}
    existing = {m.contact_id: m for m in ctx.session.execute(select(
        member.contact_id, member.status, member.exported_hash, member.scheduled_for_export,
        member.marketing_list_item_class, member.marketing_list_item_id).where(
        member.address_book_id == book.id, member.contact_id.in_([c.id for c in contacts.values()])))}
    values = member_values(ctx.db, source, fields, [row.entity_id for row in page])
    rows: dict[int, dict[str, Any]] = {}
    for row in page:
        local = contacts[row.email]
        known = existing.get(local.id)
        if known is not None and known.marketing_list_item_id is not None and (
                known.marketing_list_item_class, known.marketing_list_item_id) != (source.key, row.entity_id):
            # Another record of the list has the same email and already holds the row: one email,
            # one member of the book. (This record stays "new" and is looked at again each run.)
            continue
        data = values.get(row.entity_id, {})
        digest = values_hash(row.email, data)
        status = known.status if known is not None else (
            local.status if _suppressed(local.status) else ContactStatus.Subscribed)
        send = not _suppressed(status) and not _suppressed(local.status) and (
            known is None or known.exported_hash != digest or bool(known.scheduled_for_export))
        rows[local.id] = {
            "integration_id": ctx.integration_id, "address_book_id": book.id, "contact_id": local.id,
            "marketing_list_item_class": source.key, "marketing_list_item_id": row.entity_id,
            "status": status, "pending_values": data, "pending_hash": digest, "entity_updated": False,
            "scheduled_for_export": send,
            "export_operation_type": "new" if local.origin_id is None else "add" if known is None
            else "update"}
        if send:
            ctx.counts.created += known is None
            ctx.counts.updated += known is not None
    # A suppressed address is kept as a row too, unsent: it is then known and not "new" next run.
    upsert(ctx.session, member.__table__, list(rows.values()), ["address_book_id", "contact_id"])
    return sum(1 for row in rows.values() if row["scheduled_for_export"])


def _refresh(ctx: SyncContext, book: Any, marketing_list: Any, source: Any, fields: list[MappedField],
             page: list[Any]) -> int:
    """Recompute the values of a page of flagged rows; schedule those whose values changed.

    The flags are cleared before the records are read: a host write that lands after the read
    raises the flag again, so no change slips between the read and the clear.
    """
    member = ctx.models.AddressBookContact
    ctx.session.execute(update(member).where(member.id.in_([row.id for row in page]))
                        .values(entity_updated=False))
    ids = [row.marketing_list_item_id for row in page]
    current = {r.entity_id: r.email for r in ctx.session.execute(
        members_query(marketing_list, source, ctx.models).where(source.id_column.in_(ids)))}
    values = member_values(ctx.db, source, fields, [i for i in ids if i in current])
    changes = []
    for row in page:
        if current.get(row.marketing_list_item_id) != row.email:
            continue  # left the list or changed email: the removal step and the new-member query see it
        if _suppressed(row.status) or _suppressed(row.contact_status):
            continue
        data = values.get(row.marketing_list_item_id, {})
        digest = values_hash(row.email, data)
        send = row.exported_hash != digest
        if send or row.scheduled_for_export:
            changes.append({"id": row.id, "pending_values": data, "pending_hash": digest,
                            "scheduled_for_export": send or row.exported_hash is None})
            ctx.counts.updated += send
    if changes:
        ctx.session.execute(update(member), changes)
    return sum(1 for c in changes if c["scheduled_for_export"])


def _suppressed(status: Any) -> bool:
    return status is not None and ContactStatus(status) not in ACTIVE_STATUSES
