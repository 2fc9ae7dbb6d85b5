"""Connector 5: per-contact activity of every live campaign; a full import first, then since-date."""

from __future__ import annotations

from typing import Any

from ...api.campaigns import activities
from ...api.dates import parse_date
from ..context import SyncContext
from ..rows import as_bool, as_int, as_text, contact_ids_by_origin, live_campaigns, lower_email, write

NAME = "activity_contact"
COUNTERS = {"num_opens": "numOpens", "num_page_views": "numPageViews", "num_clicks": "numClicks",
            "num_forwards": "numForwards", "num_estimated_forwards": "numEstimatedForwards",
            "num_replies": "numReplies"}


def convert(ctx: SyncContext, campaign_id: int, item: dict[str, Any], contacts: dict[int, int]
            ) -> dict[str, Any] | None:
    origin = as_int(item.get("contactId"))
    if origin is None:
        return None
    row = {"integration_id": ctx.integration_id, "campaign_id": campaign_id,
           "contact_origin_id": origin, "contact_id": contacts.get(origin),
           "email": lower_email(item.get("email")),
           "date_sent": parse_date(item.get("dateSent")),
           "date_first_opened": parse_date(item.get("dateFirstOpened")),
           "date_last_opened": parse_date(item.get("dateLastOpened")),
           # firstOpenIp is "" when there was no open (§3.6)
           "first_open_ip": as_text(item.get("firstOpenIp")),
           "unsubscribed": as_bool(item.get("unsubscribed")),
           "soft_bounced": as_bool(item.get("softBounced")),
           "hard_bounced": as_bool(item.get("hardBounced"))}
    row.update({column: as_int(item.get(key)) for column, key in COUNTERS.items()})
    return row


def run(ctx: SyncContext) -> None:
    for campaign in live_campaigns(ctx):
        if campaign.origin_id is None:
            continue
        scope = f"campaign:{campaign.id}"
        for number, page in enumerate(activities(ctx.client, campaign.origin_id, ctx.cursor(scope)),
                                      start=1):
            contacts = contact_ids_by_origin(ctx, [as_int(i.get("contactId")) or 0 for i in page])
            rows = [r for r in (convert(ctx, campaign.id, i, contacts) for i in page) if r]
            ctx.counts.read += len(page)
            ctx.counts.errors += len(page) - len(rows)
            write(ctx, ctx.models.Activity, rows, ["campaign_id", "contact_origin_id"])
            ctx.commit()
            ctx.progress(f"{campaign.name}: page {number}")
        ctx.advance(scope)
