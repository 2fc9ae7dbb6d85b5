"""Connector 6: one summary per sent campaign.

Oro meant to skip Unsent and Sending campaigns but compared against the reply-action enum, so its
filter never matched (§2.4.6); this one filters on the campaign status.
"""

from __future__ import annotations

from typing import Any

from ...api.campaigns import summary
from ...api.dates import parse_date
from ...models.campaign import SUMMARY_COUNTERS, SUMMARY_PERCENTAGES, snake
from ...models.enums import CampaignStatus
from ..context import SyncContext
from ..rows import as_int, live_campaigns, write

NAME = "campaign_summary"
NOT_SUMMARISED = frozenset({CampaignStatus.Unsent, CampaignStatus.Sending})


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def convert(ctx: SyncContext, campaign_id: int, body: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"integration_id": ctx.integration_id, "campaign_id": campaign_id,
                           "date_sent": parse_date(body.get("dateSent"))}
    row.update({snake(name): as_int(body.get(name)) for name in SUMMARY_COUNTERS})
    row.update({snake(name): _as_float(body.get(name)) for name in SUMMARY_PERCENTAGES})
    return row


def run(ctx: SyncContext) -> None:
    campaigns = [c for c in live_campaigns(ctx)
                 if c.origin_id is not None and c.status not in NOT_SUMMARISED]
    batch: list[dict[str, Any]] = []
    for number, campaign in enumerate(campaigns, start=1):
        batch.append(convert(ctx, campaign.id, summary(ctx.client, campaign.origin_id)))
        ctx.counts.read += 1
        if len(batch) == 100 or number == len(campaigns):
            write(ctx, ctx.models.CampaignSummary, batch, ["campaign_id"])
            ctx.commit()
            batch = []
        ctx.progress(f"{number} of {len(campaigns)}")
