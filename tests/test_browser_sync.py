"""Schedule Sync in a real browser, with a real RQ worker: the progress bar runs to the end, the Sync
Runs grid shows the run, and a campaign's statistics page shows its summary and chart."""

from __future__ import annotations

import re

from .browser import browser_page, live_server, log_in, needs_chromium, screenshot
from .syncing import make_integration
from .workers import running_workers

pytestmark = needs_chromium


def test_schedule_sync_shows_progress_runs_and_campaign_statistics(app, sandbox):
    sandbox.control(generate={"contacts": 3000, "seed": 1})
    make_integration("Dotdigital main account")
    with running_workers(app), live_server(app) as base_url, browser_page() as page:
        log_in(page, base_url)
        page.goto(f"{base_url}/admin/integrations/")
        # The seed: "Select the newly created integration", then Schedule Sync at the upper right.
        page.locator("table tbody tr", has_text="Dotdigital main account").locator(
            "a[title='Edit Record']").click()
        page.wait_for_url(f"{base_url}/admin/integrations/edit/**")
        page.get_by_role("button", name="Schedule Sync").click()
        page.locator(".alert", has_text="scheduled").wait_for()
        bar = page.locator("#dd-sync-progress .progress-bar")
        bar.wait_for()
        screenshot(page, "sync-in-progress")
        page.locator("#dd-sync-text strong", has_text="Succeeded").wait_for(timeout=120_000)
        assert bar.inner_text() == "100%"
        finished = page.locator("#dd-sync-current").inner_text()
        assert re.search(r"Contacts \d{4}", finished), finished  # thousands of members read
        screenshot(page, "sync-finished")

        page.goto(f"{base_url}/admin/integrations/sync-runs/")
        row = page.locator("table tbody tr").first
        assert "Dotdigital main account" in row.inner_text()
        assert "Succeeded" in row.inner_text()
        screenshot(page, "sync-runs")

        page.goto(f"{base_url}/admin/dotdigital/campaigns/")
        page.locator("table tbody tr", has_text="Sent").first.locator("a[title='View Record']").click()
        page.locator("svg").first.wait_for()
        content = page.content()
        assert "Emails Sent" in content and "Unique Opens" in content
        screenshot(page, "campaign-statistics")
