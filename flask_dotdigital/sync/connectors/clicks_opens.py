"""Connectors 8 and 9: campaign clicks and opens, a full import first, then since-date."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from ...api.campaigns import clicks, opens
from ...api.dates import parse_date
from ..context import SyncContext
from ..rows import as_bool, as_int, as_text, contact_ids_by_origin, live_campaigns, lower_email, write


def fingerprint(item: dict[str, Any]) -> str:
    """Identity of an id-less click or open: a hash of everything Dotdigital sent about it."""
    canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha1(canonical.encode(), usedforsecurity=False).hexdigest()


def _click(item: dict[str, Any]) -> dict[str, Any] | None:
    when = parse_date(item.get("dateClicked"))
    if when is None:
        return None
    return {"url": as_text(item.get("url"), 2048) or "", "ip_address": as_text(item.get("ipAddress"), 64),
            "user_agent": as_text(item.get("userAgent"), 4000), "keyword": as_text(item.get("keyword")),
            "date_clicked": when}


def _open(item: dict[str, Any]) -> dict[str, Any] | None:
    when = parse_date(item.get("dateOpened"))
    if when is None:
        return None
    return {"mail_client": as_text(item.get("mailClient")),
            "mail_client_version": as_text(item.get("mailClientVersion")),
            "ip_address": as_text(item.get("ipAddress"), 64),
            "user_agent": as_text(item.get("userAgent"), 4000),
            "is_html": as_bool(item.get("isHtml")), "is_forward": as_bool(item.get("isForward")),
            "date_opened": when}


def _import(ctx: SyncContext, model: Any, fetch: Callable[..., Iterator[list[dict[str, Any]]]],
            convert: Callable[[dict[str, Any]], dict[str, Any] | None], keys: list[str]) -> None:
    for campaign in live_campaigns(ctx):
        if campaign.origin_id is None:
            continue
        scope = f"campaign:{campaign.id}"
        for number, page in enumerate(fetch(ctx.client, campaign.origin_id, ctx.cursor(scope)), 1):
            contacts = contact_ids_by_origin(ctx, [as_int(i.get("contactId")) or 0 for i in page])
            rows = []
            for item in page:
                origin, row = as_int(item.get("contactId")), convert(item)
                if origin is None or row is None:
                    ctx.counts.errors += 1
                    continue
                rows.append({"integration_id": ctx.integration_id, "campaign_id": campaign.id,
                             "contact_origin_id": origin, "contact_id": contacts.get(origin),
                             "email": lower_email(item.get("email")), "fingerprint": fingerprint(item),
                             **row})
            ctx.counts.read += len(page)
            write(ctx, model, rows, keys)
            ctx.commit()
            ctx.progress(f"{campaign.name}: page {number}")
        ctx.advance(scope)


class Clicks:
    NAME = "campaign_click"

    @staticmethod
    def run(ctx: SyncContext) -> None:
        _import(ctx, ctx.models.CampaignClick, clicks, _click,
                ["campaign_id", "fingerprint"])


class Opens:
    NAME = "campaign_open"

    @staticmethod
    def run(ctx: SyncContext) -> None:
        _import(ctx, ctx.models.CampaignOpen, opens, _open,
                ["campaign_id", "fingerprint"])
