"""``ApiCampaignSummary`` (reference §3.6), computed from a campaign's activity, open and click
records so every figure agrees with what the activity routes return.

How the figures are defined (the reference lists the fields, not their formulas):
- Each field comes in three flavours: ``numX`` counts HTML recipients, ``numTextX`` plain-text
  recipients (``emailType`` PlainText when sent) and ``numTotalX`` both. ``numTotalSent`` is the
  number of recipients, i.e. of activity rows.
- ``numDelivered`` = sent - hard bounces - soft bounces. Mail blocks and ISP complaints are not
  modelled and stay 0.
- ``numOpens``/``numClicks`` count open/click records; ``numUniqueOpens`` counts recipients with
  at least one open; ``numRecipientsClicked`` recipients with at least one click.
- Percentages are floats rounded to 2 places, over ``numTotalSent`` except
  ``percentageClicksToOpens`` (recipients clicked / unique opens) and ``conversionRate``
  (orders / recipients clicked). Revenue figures are strings with two decimals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import wire

if TYPE_CHECKING:
    from .model import AccountData, Activity, Campaign


def _percent(part: int, whole: int) -> float:
    return round(part * 100.0 / whole, 2) if whole else 0.0


def _money(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


def _split(name: str, html: int, text: int) -> dict[str, int]:
    # "numOpens" -> numOpens, numTextOpens, numTotalOpens.
    return {f"num{name}": html, f"numText{name}": text, f"numTotal{name}": html + text}


def _count(rows: list[Activity], value: Any) -> tuple[int, int]:
    html = sum(value(a) for a in rows if not a.is_text)
    text = sum(value(a) for a in rows if a.is_text)
    return int(html), int(text)


def campaign_summary(data: AccountData, campaign: Campaign) -> dict[str, Any]:
    rows = list(data.activities.get(campaign.id, {}).values())
    sent = _count(rows, lambda a: 1)
    hard = _count(rows, lambda a: a.hard_bounced)
    soft = _count(rows, lambda a: a.soft_bounced)
    delivered = (sent[0] - hard[0] - soft[0], sent[1] - hard[1] - soft[1])
    unique_opens = _count(rows, lambda a: a.num_opens > 0)
    opens = _count(rows, lambda a: a.num_opens)
    clicks = _count(rows, lambda a: a.num_clicks)
    page_views = _count(rows, lambda a: a.num_page_views)
    forwards = _count(rows, lambda a: a.num_forwards)
    estimated = _count(rows, lambda a: a.num_estimated_forwards)
    replies = _count(rows, lambda a: a.num_replies)
    unsubscribes = _count(rows, lambda a: a.unsubscribed)
    clicked = sum(1 for a in rows if a.num_clicks > 0)
    total_sent, total_unique = sum(sent), sum(unique_opens)
    body: dict[str, Any] = {
        "dateSent": wire.iso(campaign.date_sent),
        "numUniqueOpens": unique_opens[0],
        "numUniqueTextOpens": unique_opens[1],
        "numTotalUniqueOpens": total_unique,
        **_split("Opens", *opens),
        **_split("Clicks", *clicks),
        "numPageViews": page_views[0],
        "numTotalPageViews": sum(page_views),
        "numTextPageViews": page_views[1],
        "numForwards": forwards[0],
        "numTextForwards": forwards[1],
        "numEstimatedForwards": estimated[0],
        "numTextEstimatedForwards": estimated[1],
        "numTotalEstimatedForwards": sum(estimated),
        **_split("Replies", *replies),
        **_split("HardBounces", *hard),
        **_split("SoftBounces", *soft),
        **_split("Unsubscribes", *unsubscribes),
        **_split("IspComplaints", 0, 0),
        **_split("MailBlocks", 0, 0),
        **_split("Sent", *sent),
        "numRecipientsClicked": clicked,
        **_split("Delivered", *delivered),
        "percentageDelivered": _percent(sum(delivered), total_sent),
        "percentageUniqueOpens": _percent(total_unique, total_sent),
        "percentageOpens": _percent(sum(opens), total_sent),
        "percentageUnsubscribes": _percent(sum(unsubscribes), total_sent),
        "percentageReplies": _percent(sum(replies), total_sent),
        "percentageHardBounces": _percent(sum(hard), total_sent),
        "percentageSoftBounces": _percent(sum(soft), total_sent),
        "percentageUsersClicked": _percent(clicked, total_sent),
        "percentageClicksToOpens": _percent(clicked, total_unique),
        "revenue": _money(campaign.revenue_pence),
        "conversionRate": _percent(campaign.num_orders, clicked),
        "assistedRevenue": _money(campaign.assisted_revenue_pence),
        "numOrders": campaign.num_orders,
        "numAssistedOrders": campaign.num_assisted_orders,
    }
    return body
