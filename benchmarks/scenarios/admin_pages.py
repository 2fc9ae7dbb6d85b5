"""Scenario 7: the Contacts and Activities admin grids with many rows against few.

Two databases, one with ``many`` synced contacts and activities and one with ``few``, filled with
bulk INSERTs; each grid's first page is fetched through the Flask test client as the signed-in
admin, once to warm up and then five times, keeping the best.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from example_app.models import db

from ..env import Bench, M, admin_login, make_integration
from ..harness import Row, best_of, ratio_row

NAMES = ("admin",)
PAGES = {"Contacts": "/admin/dotdigital/contacts/", "Activities": "/admin/dotdigital/activities/"}
CHUNK = 50_000
CAMPAIGNS = 4
SENT = datetime(2024, 5, 1, tzinfo=UTC)


def run(bench: Bench, sizes: Any, profile: Any) -> list[Row]:
    many, many_tabs = _grid_times(bench, sizes.admin_many, profile)
    few, few_tabs = _grid_times(bench, sizes.admin_few, lambda name: profile("-"))
    label = f"{sizes.admin_many:,} vs {sizes.admin_few:,}"
    return [ratio_row(f"7 admin {name} list", label, many[name], few[name], 3.0, notes=[
        f"GET {PAGES[name]} (first page of 50, newest first), best of 5 after one warm-up; the "
        f"pages' List tabs read {many_tabs[name]!r} and {few_tabs[name]!r}"])
        for name in PAGES]


def _grid_times(bench: Bench, rows: int, profile: Any) -> tuple[dict[str, float], dict[str, str]]:
    """Each grid's best time, and what its List tab says about the row count."""
    app = bench.app(f"admin-{rows}")
    with app.app_context():
        integration = make_integration()
        _seed(integration.id, rows)
        client = admin_login(app)
        times, tabs = {}, {}
        for name, url in PAGES.items():
            answer = client.get(url)
            if answer.status_code != 200 or "@example.com" not in answer.text:
                raise RuntimeError(f"{url} answered {answer.status_code} without rows")
            tab = re.search(r"List \([^)]*\)", answer.text)
            tabs[name] = tab.group(0) if tab else "List"
            with profile("admin"):
                times[name] = best_of(5, lambda url=url: client.get(url))
        db.session.remove()
    return times, tabs


def _seed(integration_id: int, count: int) -> None:
    now = datetime.now(UTC)
    campaigns = [{"integration_id": integration_id, "origin_id": 500 + k, "name": f"Campaign {k}",
                  "status": "Sent", "deleted": False, "created_at": now, "updated_at": now}
                 for k in range(CAMPAIGNS)]
    ids = db.session.execute(insert(M.Campaign).returning(M.Campaign.id), campaigns).scalars().all()
    for start in range(0, count, CHUNK):
        stop = min(count, start + CHUNK)
        db.session.execute(insert(M.Contact), list(_contacts(integration_id, start, stop, now)))
        db.session.execute(insert(M.Activity), list(_activities(integration_id, ids, start, stop, now)))
        db.session.commit()


def _contacts(integration_id: int, start: int, stop: int, now: datetime) -> Iterator[dict[str, Any]]:
    for i in range(start, stop):
        yield {"integration_id": integration_id, "origin_id": 10_000 + i, "email": f"d{i}@example.com",
               "status": "Subscribed", "opt_in_type": "Single", "email_type": "Html",
               "data_fields": {"FIRSTNAME": f"F{i}", "LASTNAME": f"L{i}"}, "created_at": now,
               "updated_at": now}


def _activities(integration_id: int, campaign_ids: list[int], start: int, stop: int,
                now: datetime) -> Iterator[dict[str, Any]]:
    for i in range(start, stop):
        yield {"integration_id": integration_id, "campaign_id": campaign_ids[i % len(campaign_ids)],
               "contact_origin_id": 10_000 + i, "email": f"d{i}@example.com", "num_opens": i % 5,
               "num_clicks": i % 3, "num_page_views": i % 7, "date_sent": SENT + timedelta(seconds=i),
               "unsubscribed": False, "soft_bounced": False, "hard_bounced": False, "created_at": now,
               "updated_at": now}
