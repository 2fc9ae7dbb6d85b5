"""The seed's steps in a real browser: create a Dotdigital integration as an admin would.

log in → System → Integrations → Manage Integrations → Create Integration → fill the fields →
Check connection ("Connection Successful") → Save and Close → the row is in the grid →
Marketing → dotdigital is in the menu. The screenshots land in docs/screenshots/ for the README.
"""

from __future__ import annotations

from .browser import browser_page, live_server, needs_chromium, open_menu, screenshot
from .conftest import SANDBOX_PASSWORD, SANDBOX_USER

pytestmark = needs_chromium



def test_admin_creates_a_dotdigital_integration_as_in_the_seed(app, sandbox):
    with live_server(app) as base_url, browser_page() as page:
        page.goto(f"{base_url}/admin/")
        assert "/login" in page.url
        page.fill("#email", "admin@example.com")
        page.fill("#password", "admin-password")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/admin/")

        # No Dotdigital integration yet: the Marketing → dotdigital group is hidden.
        assert page.locator("nav.navbar a.dropdown-toggle", has_text="dotdigital").count() == 0

        open_menu(page, "System", "Integrations", "Manage Integrations")
        page.wait_for_url(f"{base_url}/admin/integrations/")
        page.get_by_role("link", name="Create Integration").click()
        page.wait_for_url(f"{base_url}/admin/integrations/new/**")

        page.select_option("#type", "dotdigital")
        page.fill("#name", "Dotdigital main account")
        page.fill("#username", SANDBOX_USER)

        # A wrong password first: Dotdigital's own message is shown.
        page.fill("#password", "wrong-password")
        page.get_by_role("button", name="Check connection").click()
        result = page.locator("#dd-check-result")
        result.filter(has_text="Authorization has been denied for this request.").wait_for()
        assert "alert-danger" in result.get_attribute("class")
        screenshot(page, "check-connection-denied")

        page.fill("#password", SANDBOX_PASSWORD)
        page.get_by_role("button", name="Check connection").click()
        result.filter(has_text="Connection Successful").wait_for()
        assert "Sandbox Account" in result.inner_text()

        page.fill("#client_id", "sandbox-client")
        page.fill("#client_secret", "sandbox-secret")
        page.fill("#custom_oauth_domain", "")
        # Default Owner is a select2 (3.5) widget: open it and pick the user as a person would.
        page.click("#s2id_default_owner a.select2-choice")
        page.locator(".select2-result-label", has_text="Alice Admin").click()
        screenshot(page, "create-integration")

        page.get_by_role("button", name="Save and Close").click()
        page.wait_for_url(f"{base_url}/admin/integrations/**")
        row = page.locator("table tbody tr", has_text="Dotdigital main account")
        assert row.count() == 1
        assert "Dotdigital" in row.inner_text() and "Alice Admin" in row.inner_text()
        screenshot(page, "manage-integrations")

        # The secret typed in the form is not in the page the browser now holds.
        assert SANDBOX_PASSWORD not in page.content()

        open_menu(page, "Marketing", "dotdigital", "Accounts")
        page.wait_for_url(f"{base_url}/admin/dotdigital/accounts/")
        assert "Sandbox Account" in page.content()
        page.locator("nav.navbar a.dropdown-toggle", has_text="Marketing").click()
        page.locator("nav.navbar a.dropdown-toggle", has_text="dotdigital").click()
        screenshot(page, "marketing-dotdigital-menu")
