"""Steps 1 and 2: members who left the list are removed from the book; Dotdigital's unsubscribes
are marked back on the list (Oro's MarketingListUnsubscribedItem)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, literal, select

from ...api.address_books import remove_contacts
from ...errors import ApiError
from ...marketing_lists import members_query
from ...models.enums import ACTIVE_STATUSES
from ...models.types import UTCDateTime, utcnow
from ..context import SyncContext
from ..upsert import insert_missing
from .changes import Plan

BATCH = 1000


def remove_departed(ctx: SyncContext, book: Any, marketing_list: Any, source: Any, plan: Plan) -> bool:
    """POST address-books/{id}/contacts/delete for members no longer in the list.

    The departed are found in SQL, by the anti-join of the book's rows against the list's current
    definition: a record that left the list, was deleted, or whose email changed (its old address
    leaves, the new one is a new member). Never the DELETE that empties the whole book (§6 item 9):
    ids are always listed, and an empty batch is never sent. Unless the plan compares the whole
    list, only the records change tracking saw are looked at. False if a removal failed.
    """
    member, contact = ctx.models.AddressBookContact, ctx.models.Contact
    listed = members_query(marketing_list, source, ctx.models).where(
        source.id_column == member.marketing_list_item_id)
    still_listed = listed.where(listed.selected_columns.email == contact.email)
    query = (select(member.id, contact.origin_id).join(contact, member.contact_id == contact.id).where(
        member.address_book_id == book.id, member.marketing_list_item_class == source.key,
        member.marketing_list_item_id.is_not(None), member.status.in_(ACTIVE_STATUSES),
        member.new_entity.is_(False), ~still_listed.exists()))
    if not plan.full:
        query = query.where(member.marketing_list_item_id.in_(plan.records))
    gone = ctx.session.execute(query).all()
    removed = True
    confirmed = [r for r in gone if r.origin_id is not None]
    for start in range(0, len(confirmed), BATCH):
        batch = confirmed[start:start + BATCH]
        try:
            remove_contacts(ctx.client, book.origin_id, [r.origin_id for r in batch])
        except ApiError as err:
            # The rows stay: the next run sends the removal again. Nothing is lost.
            ctx.counts.errors += len(batch)
            ctx.progress(f"{book.name}: removal failed ({err.message})")
            removed = False
            continue
        ctx.session.execute(delete(member).where(member.id.in_([r.id for r in batch])))
        ctx.counts.deleted += len(batch)
        ctx.commit()
    # Never confirmed by Dotdigital (no id yet): nothing to remove there, only here.
    unconfirmed = [r.id for r in gone if r.origin_id is None]
    for start in range(0, len(unconfirmed), BATCH):
        ctx.session.execute(delete(member).where(member.id.in_(unconfirmed[start:start + BATCH])))
    ctx.commit()
    return removed


def mark_unsubscribed(ctx: SyncContext, book: Any, marketing_list: Any) -> None:
    member, item = ctx.models.AddressBookContact, ctx.models.UnsubscribedItem
    insert_missing(ctx.session, item.__table__, ["marketing_list_id", "entity_id", "created_at"],
                   select(literal(marketing_list.id), member.marketing_list_item_id, literal(utcnow(),
                          UTCDateTime)).where(
                       member.address_book_id == book.id, member.marketing_list_item_id.is_not(None),
                       member.status.is_not(None), member.status.not_in(ACTIVE_STATUSES)).distinct(),
                   ["marketing_list_id", "entity_id"])
    ctx.commit()
