"""Issue 4's walk-through in a real browser: a dynamic marketing list of Contacts, connected to a new
address book created in the dialog; a Date data field and a mapping of Contact fields to it; and
Dotdigital's own refusals (a duplicate address book name, an over-long name)."""

from __future__ import annotations

from .browser import browser_page, live_server, log_in, needs_chromium, screenshot
from .syncing import make_integration

pytestmark = needs_chromium


def test_marketing_list_address_book_data_field_and_mapping(app, sandbox):
    sandbox.control(generate={"contacts": 20, "books": 1, "campaigns": 1, "seed": 1})
    taken = sandbox.state()["data"]["address_books"][0]["name"]
    make_integration("Dotdigital main account")
    with live_server(app) as base_url, browser_page() as page:
        log_in(page, base_url)

        # A dynamic list of Contacts: city is London, built with the condition builder.
        page.goto(f"{base_url}/admin/marketing-lists/new/")
        page.fill("#name", "London contacts")
        page.select_option("#entity", "Contact")
        page.select_option("#type", "dynamic")
        page.click("#dd-add-rule")
        page.select_option("#dd-rules .dd-field", "city")
        page.select_option("#dd-rules .dd-op", "eq")
        page.fill("#dd-rules .dd-value", "London")
        screenshot(page, "marketing-list-conditions")
        page.get_by_role("button", name="Save and Close").click()
        page.wait_for_url(f"{base_url}/admin/marketing-lists/")
        page.locator("table tbody tr", has_text="London contacts").locator(
            "a[title='View Record']").click()
        page.wait_for_url(f"{base_url}/admin/marketing-lists/details/**")
        count = int(page.locator("#dd-member-count").inner_text())
        assert count >= 1 and "London" in page.content()

        # Connect: a duplicate name, then an over-long one, are refused by Dotdigital itself.
        dialog = page.locator("#dd-connect")
        for name, message in [
            (taken, "That name is in use already, please choose another. ERROR_ADDRESSBOOK_DUPLICATE"),
            ("n" * 130, "The address book name must be 128 characters or less. ERROR_PARAMETER_INVALID"),
        ]:
            page.get_by_role("button", name="Connect to dotdigital").click()
            dialog.wait_for(state="visible")
            page.select_option("#address_book", "new")
            page.fill("#new_name", name)
            dialog.get_by_role("button", name="Save").click()
            page.locator("#dd-new-book-error", has_text=message).wait_for()
            screenshot(page, "connect-dialog-refused")
            dialog.get_by_role("button", name="Cancel").click()
            dialog.wait_for(state="hidden")

        page.get_by_role("button", name="Connect to dotdigital").click()
        dialog.wait_for(state="visible")
        page.select_option("#address_book", "new")
        page.fill("#new_name", "CRM London")
        page.select_option("#new_visibility", "Public")
        page.check("#create_entities")
        screenshot(page, "connect-dialog")
        dialog.get_by_role("button", name="Save").click()
        status = page.locator("#dd-sync-status")
        status.wait_for()
        assert 'This list is linked to "CRM London" dotdigital address book.' in status.inner_text()
        assert any(b["name"] == "CRM London" for b in sandbox.state()["data"]["address_books"])
        page.get_by_role("button", name="dotdigital").click()
        screenshot(page, "marketing-list-connected")

        # A Date data field, created in Dotdigital first; a duplicate is refused by Dotdigital.
        for name in ("ANNIVERSARY", "FIRSTNAME"):
            page.goto(f"{base_url}/admin/dotdigital/data-fields/new/")
            page.select_option("#integration_id", label="Dotdigital main account")
            page.fill("#name", name)
            page.select_option("#type", "Date")
            page.locator("form input[type=submit]").first.click()
            page.wait_for_load_state()
        assert "Failed to create field in dotdigital: Field already exists. ERROR_NON_UNIQUE_DATAFIELD" \
            in page.content()
        screenshot(page, "data-field-refused")
        page.goto(f"{base_url}/admin/dotdigital/data-fields/")
        row = page.locator("table tbody tr", has_text="ANNIVERSARY")
        assert "Date" in row.inner_text()
        assert any(f["name"] == "ANNIVERSARY" and f["type"] == "Date"
                   for f in sandbox.state()["data"]["data_fields"])
        screenshot(page, "data-fields")

        # A mapping of Contact fields: Birthday → ANNIVERSARY (Date), first and last name → FULLNAME.
        page.goto(f"{base_url}/admin/dotdigital/data-field-mappings/new/")
        with page.expect_response(lambda r: "/fields?" in r.url):
            page.select_option("#entity", "Contact")
        page.fill("#sync_priority", "20")
        page.click("#dd-mapping-add")
        rows = page.locator("#dd-mapping tbody tr")
        rows.nth(0).locator(".dd-map-fields").select_option("birthday")
        rows.nth(0).locator(".dd-map-datafield").select_option(label="ANNIVERSARY (Date)")
        screenshot(page, "data-field-mapping")
        page.get_by_role("button", name="Save and Close").click()
        page.wait_for_url(f"{base_url}/admin/dotdigital/data-field-mappings/")
        row = page.locator("table tbody tr", has_text="Contact")
        assert "20" in row.inner_text()
        screenshot(page, "data-field-mappings")


def test_synchronize_moves_the_status_line_to_up_to_date(app, sandbox):
    import threading
    import time

    from flask_dotdigital.sync.scheduling import request_sync

    from .exporting import connected_list, seed_contacts
    from .workers import running_workers

    seed_contacts(50)
    integration, marketing_list, _ = connected_list()
    integration_id, list_id = integration.id, marketing_list.id
    done = threading.Event()

    def poll_status():  # what rq cron's 5-minute export-status job does, every second here
        while not done.wait(1.0):
            with app.app_context():
                request_sync(integration_id, trigger="schedule", connectors=["export_status"])

    with running_workers(app), live_server(app) as base_url, browser_page() as page:
        log_in(page, base_url)
        page.goto(f"{base_url}/admin/marketing-lists/details/?id={list_id}")
        page.get_by_role("button", name="dotdigital").click()
        page.get_by_role("button", name="Synchronize").click()
        status = page.locator("#dd-sync-status")
        status.filter(has_text="Synchronization status: In Progress").wait_for()
        screenshot(page, "marketing-list-in-progress")
        poller = threading.Thread(target=poll_status, daemon=True)
        time.sleep(1)
        poller.start()
        try:
            status.filter(has_text="Synchronization status: Up to date").wait_for(timeout=120_000)
        finally:
            done.set()
            poller.join(5)
        assert "Last synchronization date: never" not in status.inner_text()
        screenshot(page, "marketing-list-up-to-date")
