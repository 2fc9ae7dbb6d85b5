"""Connector 2: campaigns sent to the imported books. Upsert them; soft-delete the missing ones."""

from __future__ import annotations

from typing import Any

from sqlalchemy import true, update

from ...api.address_books import book_campaigns as book_campaigns_pages
from ...models.enums import CampaignStatus, ReplyAction, coerce
from ..context import SyncContext
from ..rows import as_bool, as_int, as_text, books_to_import, write
from ..upsert import upsert

NAME = "campaign"


def convert(ctx: SyncContext, item: dict[str, Any]) -> dict[str, Any] | None:
    origin = as_int(item.get("id"))
    if origin is None:
        return None
    sender = item.get("fromAddress")
    # fromAddress is an object {"id", "email"} in v2 (§3.6); older payloads carry a plain string.
    from_address = sender.get("email") if isinstance(sender, dict) else sender
    return {"integration_id": ctx.integration_id, "origin_id": origin,
            "name": as_text(item.get("name")) or f"Campaign {origin}",
            "subject": as_text(item.get("subject")), "from_name": as_text(item.get("fromName")),
            "from_address": as_text(from_address),
            "reply_to_address": as_text(item.get("replyToAddress")),
            "reply_action": coerce(ReplyAction, item.get("replyAction")),
            "is_split_test": as_bool(item.get("isSplitTest")),
            "status": coerce(CampaignStatus, item.get("status")), "deleted": False}


def run(ctx: SyncContext) -> None:
    campaign = ctx.models.Campaign
    links = ctx.models.campaign_address_book
    seen: set[int] = set()
    for book in books_to_import(ctx):
        if book.origin_id is None:
            continue
        for number, page in enumerate(book_campaigns_pages(ctx.client, book.origin_id), start=1):
            rows = [row for row in (convert(ctx, item) for item in page) if row]
            ctx.counts.read += len(page)
            ctx.counts.errors += len(page) - len(rows)
            stored = write(ctx, campaign, rows, ["integration_id", "origin_id"],
                           returning=["id", "origin_id"])
            seen.update(origin for _, origin in stored)
            upsert(ctx.session, links, [{"campaign_id": cid, "address_book_id": book.id}
                                        for cid, _ in stored],
                   ["campaign_id", "address_book_id"], update=[])
            ctx.commit()
            ctx.progress(f"{book.name}: page {number}")
    missing = update(campaign).where(
        campaign.integration_id == ctx.integration_id, campaign.deleted.is_(False),
        campaign.origin_id.not_in(seen) if seen else true()).values(deleted=True)
    ctx.counts.deleted += ctx.session.execute(missing).rowcount or 0
    ctx.commit()
