"""Email Studio in a real browser, against the sandbox's OAuth endpoints (issue 6's acceptance).

Marketing → dotdigital → Email Studio with no Client ID → the message and the edit link → fill the
Client ID and Client Secret key → Connect (the sandbox's authorise page sends the browser straight
back) → the iframe shows the sandbox's signed-in page → reload: a new access token from the refresh
grant and no second authorise → Disconnect → Connect is offered again. Screenshots land in
docs/screenshots/email-studio*.png.
"""

from __future__ import annotations

from .browser import browser_page, live_server, log_in, needs_chromium, open_menu, screenshot
from .syncing import make_integration

pytestmark = needs_chromium



def signed_in_text(page):
    return page.frame_locator("#dd-email-studio").locator("#message").inner_text()


def test_admin_connects_email_studio_and_disconnects(app, sandbox):
    app.config["DOTDIGITAL_OAUTH_DEFAULT_DOMAIN"] = sandbox.app_url  # stands for r1-app.dotdigital.com
    integration = make_integration("Dotdigital main account")
    studio = "/admin/dotdigital/email-studio/"
    with live_server(app) as base_url, browser_page() as page:
        log_in(page, base_url)

        open_menu(page, "Marketing", "dotdigital", "Email Studio")
        page.wait_for_url(f"{base_url}{studio}")
        notice = page.locator("#dd-studio-credentials")
        assert "Please enter Client ID and Client Key for your integration" in notice.inner_text()
        screenshot(page, "email-studio-no-client-id")

        notice.get_by_role("link", name="Edit Dotdigital main account").click()
        page.wait_for_url(f"{base_url}/admin/integrations/edit/**")
        page.fill("#client_id", "sandbox-client")
        page.fill("#client_secret", "sandbox-secret")
        page.get_by_role("button", name="Save and Close").click()
        page.wait_for_url(f"{base_url}{studio}?integration={integration.id}")

        page.get_by_role("button", name="Connect").click()
        page.wait_for_url(f"{base_url}{studio}?integration={integration.id}")
        assert "Connected to dotdigital." in page.content()
        assert signed_in_text(page) == "Signed in to Sandbox Account as demo@apiconnector.com."
        first_src = page.locator("#dd-email-studio").get_attribute("src")
        assert first_src.startswith(f"{sandbox.app_url}?oauthtoken=")
        screenshot(page, "email-studio")

        page.reload()
        assert signed_in_text(page) == "Signed in to Sandbox Account as demo@apiconnector.com."
        assert page.locator("#dd-email-studio").get_attribute("src") != first_src
        oauth = sandbox.state()["oauth"]
        assert oauth["authorise_calls"] == 1
        assert oauth["grants"] == {"authorization_code": 1, "refresh_token": 2}
        assert oauth["signed_in_pages"] == 2

        page.get_by_role("button", name="Disconnect").click()
        page.wait_for_url(f"{base_url}{studio}?integration={integration.id}")
        assert page.locator("#dd-email-studio").count() == 0
        assert page.get_by_role("button", name="Connect").is_visible()
        assert "Disconnected from dotdigital." in page.content()
        screenshot(page, "email-studio-connect")
