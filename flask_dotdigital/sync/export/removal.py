"""Steps 1 and 2: members who left the list are removed from the book; Dotdigital's unsubscribes
are marked back on the list (Oro's MarketingListUnsubscribedItem)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from ...api.address_books import remove_contacts
from ...errors import ApiError
from ...models.enums import ACTIVE_STATUSES
from ..context import SyncContext
from ..upsert import upsert

BATCH = 1000


def remove_departed(ctx: SyncContext, book: Any, source_key: str, member_ids: set[int]) -> None:
    """POST address-books/{id}/contacts/delete for members no longer in the list.

    Never the DELETE that empties the whole book (§6 item 9): ids are always listed, and an empty
    batch is never sent.
    """
    member, contact = ctx.models.AddressBookContact, ctx.models.Contact
    rows = ctx.session.execute(select(member.id, member.marketing_list_item_id, contact.origin_id)
                               .join(contact, member.contact_id == contact.id).where(
        member.address_book_id == book.id, member.marketing_list_item_class == source_key,
        member.marketing_list_item_id.is_not(None), member.status.in_(ACTIVE_STATUSES),
        member.new_entity.is_(False))).all()
    gone = [r for r in rows if r.marketing_list_item_id not in member_ids]
    confirmed = [r for r in gone if r.origin_id is not None]
    for start in range(0, len(confirmed), BATCH):
        batch = confirmed[start:start + BATCH]
        try:
            remove_contacts(ctx.client, book.origin_id, [r.origin_id for r in batch])
        except ApiError as err:
            # The rows stay: the next run sends the removal again. Nothing is lost.
            ctx.counts.errors += len(batch)
            ctx.progress(f"{book.name}: removal failed ({err.message})")
            continue
        ctx.session.execute(delete(member).where(member.id.in_([r.id for r in batch])))
        ctx.counts.deleted += len(batch)
        ctx.commit()
    # Never confirmed by Dotdigital (no id yet): nothing to remove there, only here.
    unconfirmed = [r.id for r in gone if r.origin_id is None]
    if unconfirmed:
        ctx.session.execute(delete(member).where(member.id.in_(unconfirmed)))
        ctx.commit()


def mark_unsubscribed(ctx: SyncContext, book: Any, marketing_list: Any) -> None:
    member = ctx.models.AddressBookContact
    entity_ids = ctx.session.execute(select(member.marketing_list_item_id).where(
        member.address_book_id == book.id, member.marketing_list_item_id.is_not(None),
        member.status.is_not(None), member.status.not_in(ACTIVE_STATUSES))).scalars().all()
    rows = [{"marketing_list_id": marketing_list.id, "entity_id": i} for i in set(entity_ids)]
    for start in range(0, len(rows), BATCH):
        upsert(ctx.session, ctx.models.UnsubscribedItem.__table__, rows[start:start + BATCH],
               ["marketing_list_id", "entity_id"], update=[])
    ctx.commit()
