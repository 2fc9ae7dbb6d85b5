"""Campaign and reporting routes (reference §3.6): the paged campaign list, one campaign (with
its content), its summary, and its per-contact activity, clicks and opens, each also "since" a
date. ``since-date`` filters activity on its internal modified time (the latest send, open or
click), clicks on ``dateClicked`` and opens on ``dateOpened``. Rows come in id order (activity by
contact id, opens and clicks in the order they happened to be recorded).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response

from .. import wire
from ..conventions import code_error, json_response, read_paging
from ..model import AccountData, Campaign
from ..reporting import campaign_summary
from ..state import current_state


def find_campaign(data: AccountData, campaign_id: int) -> Campaign:
    campaign = data.campaigns.get(campaign_id)
    if campaign is None:
        # Status 404 is inferred (§3.0); the message follows the documented "Error: CODE" shape.
        raise code_error(404, "ERROR_CAMPAIGN_NOT_FOUND")
    return campaign


def list_campaigns() -> Response:
    paging = read_paging()
    state = current_state()
    with state.lock:
        campaigns = [c for _, c in sorted(state.data.campaigns.items())]
        rows = [wire.campaign(c) for c in paging.page(campaigns)]
    return json_response(rows)


def get_campaign(campaign_id: int) -> Response:
    state = current_state()
    with state.lock:
        return json_response(wire.campaign(find_campaign(state.data, campaign_id), with_content=True))


def get_summary(campaign_id: int) -> Response:
    state = current_state()
    with state.lock:
        data = state.data
        # Unsent campaigns answer too: zeros and a null dateSent.
        return json_response(campaign_summary(data, find_campaign(data, campaign_id)))


def _events(
    campaign_id: int, since: str | None, pick: Callable[[AccountData, int, Any], list[Any]]
) -> Response:
    paging = read_paging()
    moment = None if since is None else wire.parse_since(since)
    state = current_state()
    with state.lock:
        data = state.data
        find_campaign(data, campaign_id)
        rows = paging.page(pick(data, campaign_id, moment))
        return json_response(rows)


def _activities(data: AccountData, campaign_id: int, moment: Any) -> list[Any]:
    rows = [a for _, a in sorted(data.activities.get(campaign_id, {}).items())]
    return [wire.activity(a, data.contacts) for a in rows if moment is None or a.modified > moment]


def _clicks(data: AccountData, campaign_id: int, moment: Any) -> list[Any]:
    rows = data.clicks.get(campaign_id, [])
    return [wire.contact_click(c, data.contacts) for c in rows if moment is None or c.date_clicked > moment]


def _opens(data: AccountData, campaign_id: int, moment: Any) -> list[Any]:
    rows = data.opens.get(campaign_id, [])
    return [wire.contact_open(o, data.contacts) for o in rows if moment is None or o.date_opened > moment]


FEEDS = {"activities": _activities, "clicks": _clicks, "opens": _opens}


def _feed_views(name: str) -> tuple[Callable[..., Response], Callable[..., Response]]:
    pick = FEEDS[name]

    def all_rows(campaign_id: int) -> Response:
        return _events(campaign_id, None, pick)

    def rows_since(campaign_id: int, since: str) -> Response:
        return _events(campaign_id, since, pick)

    return all_rows, rows_since


def register(regional: Blueprint) -> None:
    regional.add_url_rule("/v2/campaigns", "campaigns", list_campaigns, methods=["GET"])
    regional.add_url_rule("/v2/campaigns/<int:campaign_id>", "campaign", get_campaign, methods=["GET"])
    regional.add_url_rule(
        "/v2/campaigns/<int:campaign_id>/summary", "campaign_summary", get_summary, methods=["GET"]
    )
    for name in FEEDS:
        all_rows, rows_since = _feed_views(name)
        base = f"/v2/campaigns/<int:campaign_id>/{name}"
        regional.add_url_rule(base, f"campaign_{name}", all_rows, methods=["GET"])
        regional.add_url_rule(
            f"{base}/since-date/<since>", f"campaign_{name}_since", rows_since, methods=["GET"]
        )
