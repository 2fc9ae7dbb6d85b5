"""Marketing → dotdigital grids (address books, contacts, campaigns, activities) and Sync Runs.

Rows go straight into the database, as a sync would leave them; the pages are read over HTTP.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from example_app import dotdigital
from example_app.models import db

from .conftest import csrf_token

M = dotdigital.models
SENT = datetime(2024, 3, 5, 9, 30, tzinfo=UTC)

BOOKS = "/admin/dotdigital/address-books/"
CONTACTS = "/admin/dotdigital/contacts/"
CAMPAIGNS = "/admin/dotdigital/campaigns/"
ACTIVITIES = "/admin/dotdigital/activities/"
RUNS = "/admin/integrations/sync-runs/"
RECORD_VIEWS = [BOOKS, CONTACTS, CAMPAIGNS, ACTIVITIES]


def cells(html: str, column: str) -> list[str]:
    """The text of one grid column, top to bottom."""
    found = re.findall(rf'<td class="col-{column}">\s*(.*?)\s*</td>', html, re.S)
    return [re.sub(r"\s+", " ", cell) for cell in found]


def add(*rows):
    db.session.add_all(rows)
    db.session.flush()
    return rows[0] if len(rows) == 1 else rows


def saved():
    """Commit; the commit expires every loaded row, so the page loads everything itself."""
    db.session.commit()


@pytest.fixture
def integration(app):
    row = add(M.Integration(type="dotdigital", name="Main account", username="api@apiconnector.com",
                            password="secret-password", enabled=True))
    db.session.commit()
    return row


def book(integration, name, **values):
    return add(M.AddressBook(integration_id=integration.id, name=name, **values))


def contact(integration, email, books=(), **values):
    row = add(M.Contact(integration_id=integration.id, email=email, **values))
    for member_of in books:
        add(M.AddressBookContact(integration_id=integration.id, address_book_id=member_of.id,
                                 contact_id=row.id, status="Subscribed"))
    return row


def campaign(integration, name, **values):
    return add(M.Campaign(integration_id=integration.id, name=name, **values))


def summary(integration, of_campaign, date_sent=SENT, **counters):
    return add(M.CampaignSummary(integration_id=integration.id, campaign_id=of_campaign.id,
                                 date_sent=date_sent, **counters))


# -- menu and access ------------------------------------------------------------------------------


def test_record_views_join_the_menu_only_once_an_integration_exists(app, admin_client):
    menu = admin_client.get("/admin/").text
    for url in RECORD_VIEWS:
        assert url not in menu
    assert RUNS in menu  # System → Integrations → Sync Runs is always there
    add(M.Integration(type="dotdigital", name="Main account", username="api@apiconnector.com",
                      password="secret-password", enabled=True))
    saved()
    menu = admin_client.get("/admin/").text
    for url in RECORD_VIEWS:
        assert url in menu
    for name in ("Address Books", "Contacts", "Campaigns", "Activities", "Sync Runs"):
        assert f"{name}</a>" in menu


def test_anonymous_users_are_sent_to_log_in(app, integration):
    client = app.test_client()
    for url in [*RECORD_VIEWS, RUNS, f"{CAMPAIGNS}details/?id=1", f"{RUNS}details/?id=1"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url


def test_users_without_permission_get_403_and_no_menu_entries(user_client, integration):
    for url in [*RECORD_VIEWS, RUNS, f"{CAMPAIGNS}details/?id=1", f"{RUNS}details/?id=1"]:
        assert user_client.get(url).status_code == 403, url
    menu = user_client.get("/admin/").text
    for url in [*RECORD_VIEWS, RUNS]:
        assert url not in menu


@pytest.mark.parametrize("url", [*RECORD_VIEWS, RUNS])
def test_the_grids_are_read_only(admin_client, integration, url):
    newsletter = book(integration, "Newsletter")
    contact(integration, "ann@example.com", books=[newsletter])
    spring = campaign(integration, "Spring sale")
    add(M.Activity(integration_id=integration.id, campaign_id=spring.id, contact_origin_id=1),
        M.SyncRun(integration_id=integration.id, trigger="cli"))
    saved()
    models = (M.AddressBook, M.Contact, M.Campaign, M.Activity, M.SyncRun)
    rows = lambda: [db.session.execute(db.select(model)).scalars().all() for model in models]  # noqa: E731
    before = rows()
    page = admin_client.get(url).text
    assert f"{url}new/" not in page and f"{url}edit/" not in page and f"{url}delete/" not in page
    token = csrf_token(page)  # a valid token (the logout form's), so only read-only can refuse
    attempts = [admin_client.post(f"{url}new/", data={"csrf_token": token, "name": "Mine",
                                                      "email": "mine@example.com"}),
                admin_client.post(f"{url}edit/?id=1", data={"csrf_token": token, "name": "Renamed"}),
                admin_client.post(f"{url}delete/", data={"csrf_token": token, "id": "1"})]
    for response in attempts:
        assert (response.status_code, response.headers["Location"]) == (302, url)
    db.session.expire_all()
    assert rows() == before
    assert [len(found) for found in before] == [1, 1, 1, 1, 1]
    assert newsletter.name == "Newsletter"


# -- Address Books --------------------------------------------------------------------------------


def test_address_books_show_oros_sync_status_labels(admin_client, integration):
    statuses = {"Finished": "Up to date", "NotFinished": "In Progress",
                "RejectedByWatchdog": "Sync Rejected", "InvalidFileFormat": "Not Synced",
                "Failed": "Sync failed", "ExceedsAllowedContactLimit": "dotdigital Contacts Limit Exceeds",
                "NotAvailableInThisVersion": "Not Synced", None: "Not Synced"}
    for number, status in enumerate(statuses):
        book(integration, f"Book {number}", sync_status=status, contact_count=10 + number,
             visibility="Public", last_imported_at=SENT + timedelta(days=number))
    saved()
    page = admin_client.get(BOOKS).text
    assert cells(page, "name") == [f"Book {n}" for n in range(len(statuses))]
    labels = [re.sub(r"<[^>]+>", "", cell) for cell in cells(page, "sync_status")]
    assert labels == list(statuses.values())
    assert set(cells(page, "integration")) == {"Main account"}
    assert set(cells(page, "marketing_list")) == {"—"}
    assert cells(page, "contact_count")[:2] == ["10", "11"]
    assert cells(page, "last_imported_at")[0] == "2024-03-05 09:30 UTC"
    assert cells(page, "visibility")[0] == "Public"


# -- Contacts -------------------------------------------------------------------------------------


def test_contacts_show_their_data_fields_escaped_and_their_books(admin_client, integration):
    news, offers = book(integration, "Newsletter"), book(integration, "Offers")
    book(integration, "Unused")
    contact(integration, "ann@example.com", books=[offers, news], status="Subscribed",
            opt_in_type="Double", email_type="Html",
            data_fields={"FIRSTNAME": "Ann", "LASTNAME": "<script>x</script>", "GENDER": None})
    contact(integration, "bob@example.com", status="Unsubscribed")
    saved()
    page = admin_client.get(CONTACTS).text
    assert cells(page, "email") == ["bob@example.com", "ann@example.com"]  # newest first
    assert cells(page, "address_books") == ["—", "Newsletter, Offers"]
    ann = cells(page, "data_fields")[1]
    assert "<b>FIRSTNAME</b>: Ann" in ann and "&lt;script&gt;x&lt;/script&gt;" in ann
    assert "<script>x" not in page and "GENDER" not in ann
    assert cells(page, "opt_in_type") == ["", "Double"] and cells(page, "email_type") == ["", "Html"]


def test_contacts_filter_by_status_and_integration_and_search_by_email(admin_client, integration):
    other = add(M.Integration(type="dotdigital", name="Second account", username="two@apiconnector.com",
                              password="secret-password", enabled=True))
    contact(integration, "ann@example.com", status="Subscribed", opt_in_type="Single")
    contact(integration, "bob@example.com", status="HardBounced", opt_in_type="Double")
    contact(other, "cat@example.org", status="Subscribed", email_type="PlainText")
    saved()
    emails = lambda query: cells(admin_client.get(CONTACTS + query).text, "email")  # noqa: E731
    assert emails("?flt0_status_equals=Subscribed") == ["cat@example.org", "ann@example.com"]
    assert emails("?flt0_optin_type_equals=Double") == ["bob@example.com"]
    assert emails("?flt0_email_type_equals=PlainText") == ["cat@example.org"]
    assert emails(f"?flt0_integration_equals={other.id}") == ["cat@example.org"]
    assert emails(f"?flt0_status_equals=Subscribed&flt1_integration_equals={integration.id}") \
        == ["ann@example.com"]
    assert emails("?search=bob") == ["bob@example.com"]
    assert "Second account" in admin_client.get(CONTACTS).text  # the filter offers it by name


@contextmanager
def counting_queries():
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_page_of_50_contacts_takes_as_few_queries_as_a_page_of_5(admin_client, integration):
    books = [book(integration, f"Book {n}") for n in range(3)]
    for n in range(5):
        contact(integration, f"c{n}@example.com", books=books, data_fields={"N": n})
    saved()
    with counting_queries() as few:
        assert admin_client.get(CONTACTS).status_code == 200
    for n in range(5, 80):
        contact(integration, f"c{n}@example.com", books=books[n % 3:], data_fields={"N": n})
    saved()
    with counting_queries() as many:
        page = admin_client.get(CONTACTS).text
    assert len(cells(page, "email")) == 50
    assert "Book 0, Book 1, Book 2" in cells(page, "address_books")
    assert len(many) == len(few) <= 10, "\n\n".join(many)


# -- Campaigns ------------------------------------------------------------------------------------


def test_campaigns_grid_filters_and_search(admin_client, integration):
    spring = campaign(integration, "Spring sale", subject="Flowers 20% off", from_name="Shop",
                      from_address="news@shop.example", status="Sent")
    summary(integration, spring, num_total_sent=10)
    campaign(integration, "Draft", subject="Not yet", status="Unsent")
    campaign(integration, "Old", subject="Gone", status="Sent", deleted=True)
    saved()
    page = admin_client.get(CAMPAIGNS).text
    assert cells(page, "name") == ["Old", "Draft", "Spring sale"]
    assert cells(page, "date_sent") == ["", "", "2024-03-05 09:30 UTC"]
    assert cells(page, "from_address")[2] == "news@shop.example"
    names = lambda query: cells(admin_client.get(CAMPAIGNS + query).text, "name")  # noqa: E731
    assert names("?flt0_status_equals=Sent") == ["Old", "Spring sale"]
    assert names("?flt0_deleted_equals=1") == ["Old"]
    assert names(f"?flt0_integration_equals={integration.id}") == ["Old", "Draft", "Spring sale"]
    assert names("?search=flowers") == ["Spring sale"]
    assert names("?search=draft") == ["Draft"]


def test_campaign_page_shows_oros_statistics_and_a_chart(admin_client, integration):
    spring = campaign(integration, "Spring sale", status="Sent")
    summary(integration, spring, num_total_sent=1000, num_total_delivered=950, percentage_delivered=95.0,
            num_total_opens=600, num_total_unique_opens=400, percentage_unique_opens=40.0,
            num_total_clicks=300, num_recipients_clicked=120, percentage_users_clicked=12.0,
            percentage_clicks_to_opens=30.0, num_total_page_views=90, num_forwards=4,
            num_text_forwards=1, num_total_estimated_forwards=8, num_total_replies=3,
            percentage_replies=0.3, num_total_hard_bounces=30, percentage_hard_bounces=3.0,
            num_total_soft_bounces=20, percentage_soft_bounces=2.0, num_total_unsubscribes=15,
            percentage_unsubscribes=1.5, num_total_isp_complaints=2)
    saved()
    page = admin_client.get(f"{CAMPAIGNS}details/?id={spring.id}").text
    assert "Engagement/Interaction" in page and "Positive/Negative" in page
    rows = {label: (count, percent) for label, count, percent in re.findall(
        r'<th scope="row"[^>]*>([^<]+)</th>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>', page)}
    assert rows == {
        "Emails Sent": ("1,000", ""), "Delivered": ("950", "95%"), "Opens": ("600", ""),
        "Unique Opens": ("400", "40%"), "Clicks": ("300", ""), "Recipient clicks": ("120", "12%"),
        "Click-to-open rate": ("30%", ""), "Page views": ("90", ""), "Forwards": ("5", ""),
        "Estimated forwards": ("8", ""), "Non openers": ("550", ""), "Total replies": ("3", "0.3%"),
        "Hard bounces": ("30", "3%"), "Soft bounces": ("20", "2%"), "Unsubscribes": ("15", "1.5%"),
        "ISP complaints": ("2", ""),
    }
    svg = re.search(r"<svg.*?</svg>", page, re.S)
    assert svg and "<script" not in svg.group(0)
    bars = re.findall(r'data-label="([^"]+)" data-value="(\d+)">.*?<rect[^>]*width="(\d+)"',
                      svg.group(0), re.S)
    assert bars == [("Delivered", "950", "220"), ("Opens", "600", "139"), ("Clicks", "300", "69"),
                    ("Bounces", "50", "12"), ("Unsubscribes", "15", "3")]
    assert "<title" in svg.group(0) and "Delivered 950, Opens 600" in svg.group(0)
    assert "No statistics yet" not in page


def test_a_campaign_without_summary_says_so(admin_client, integration):
    draft = campaign(integration, "Draft", status="Unsent")
    saved()
    page = admin_client.get(f"{CAMPAIGNS}details/?id={draft.id}").text
    assert "No statistics yet: summaries are imported for sent campaigns." in page
    assert "<svg" not in page


# -- Activities -----------------------------------------------------------------------------------


def test_activities_list_filters_and_search(admin_client, integration):
    spring, autumn = campaign(integration, "Spring sale"), campaign(integration, "Autumn sale")
    for number, (of, email, extra) in enumerate([
        (spring, "ann@example.com", {"num_opens": 3, "num_clicks": 2, "num_page_views": 5,
                                     "date_first_opened": SENT + timedelta(hours=1)}),
        (spring, "bob@example.com", {"unsubscribed": True}),
        (autumn, "cat@example.com", {"soft_bounced": True}),
        (autumn, "dan@example.com", {"hard_bounced": True, "unsubscribed": False}),
    ]):
        add(M.Activity(integration_id=integration.id, campaign_id=of.id, contact_origin_id=number,
                       email=email, date_sent=SENT - timedelta(days=number), **extra))
    saved()
    page = admin_client.get(ACTIVITIES).text
    assert cells(page, "email") == ["ann@example.com", "bob@example.com", "cat@example.com",
                                    "dan@example.com"]  # most recently sent first
    assert cells(page, "campaign") == ["Spring sale", "Spring sale", "Autumn sale", "Autumn sale"]
    assert (cells(page, "num_opens")[0], cells(page, "num_clicks")[0], cells(page, "num_page_views")[0]) \
        == ("3", "2", "5")
    assert cells(page, "date_first_opened")[0] == "2024-03-05 10:30 UTC"
    emails = lambda query: cells(admin_client.get(ACTIVITIES + query).text, "email")  # noqa: E731
    assert emails(f"?flt0_campaign_equals={autumn.id}") == ["cat@example.com", "dan@example.com"]
    assert emails("?flt0_unsubscribed_equals=1") == ["bob@example.com"]
    assert emails("?flt0_bounced_equals=1") == ["cat@example.com", "dan@example.com"]
    assert emails("?flt0_bounced_equals=0") == ["ann@example.com", "bob@example.com"]
    assert emails("?search=cat@") == ["cat@example.com"]


# -- Sync Runs ------------------------------------------------------------------------------------


def run(integration, *, parent=None, **values):
    return add(M.SyncRun(integration_id=integration.id, parent_id=parent.id if parent else None, **values))


def test_sync_runs_list_runs_newest_first_and_the_run_page_lists_its_connectors(admin_client, integration):
    older = run(integration, trigger="schedule", status="success", requested_at=SENT,
                started_at=SENT, finished_at=SENT + timedelta(seconds=75), read=12, created=4)
    newer = run(integration, trigger="button", status="failed", requested_at=SENT + timedelta(hours=1),
                started_at=SENT + timedelta(hours=1), finished_at=SENT + timedelta(hours=1, seconds=5),
                read=7, errors=1, message="Contacts: Dotdigital said no")
    run(integration, parent=newer, connector="address_book", status="success", read=7, created=2,
        started_at=SENT, finished_at=SENT + timedelta(seconds=2))
    step = run(integration, parent=newer, connector="contact", status="failed", errors=1,
               message="Dotdigital said no")
    saved()
    page = admin_client.get(RUNS).text
    assert cells(page, "trigger") == ["Schedule Sync button", "Schedule"]  # steps are not listed
    assert [re.sub(r"<[^>]+>", "", c) for c in cells(page, "status")] == ["Failed", "Succeeded"]
    assert 'badge-danger' in cells(page, "status")[0]
    assert cells(page, "duration") == ["5.0 s", "1 min 15 s"]
    assert cells(page, "read") == ["7", "12"] and cells(page, "errors") == ["1", "0"]
    assert cells(page, "message") == ["Contacts: Dotdigital said no", "—"]
    assert cells(page, "integration") == ["Main account", "Main account"]
    assert "List (2)" in page

    details = admin_client.get(f"{RUNS}details/?id={newer.id}").text
    steps = re.search(r'<table class="table table-sm table-bordered dotdigital-sync-steps">.*?</table>',
                      details, re.S).group(0)
    assert steps.index("Address books") < steps.index("Contacts")
    assert "Dotdigital said no" in steps and "badge-success" in steps and "badge-danger" in steps
    assert "All connectors" in details
    assert admin_client.get(f"{RUNS}details/?id={step.id}").status_code == 302  # a step is no run
    assert older.id != newer.id


def test_sync_runs_filter_by_status_trigger_and_integration(admin_client, integration):
    other = add(M.Integration(type="dotdigital", name="Second account", username="two@apiconnector.com",
                              password="secret-password", enabled=True))
    run(integration, trigger="cli", status="success", requested_at=SENT)
    run(integration, trigger="schedule", status="failed", requested_at=SENT + timedelta(minutes=1))
    run(other, trigger="schedule", status="success", requested_at=SENT + timedelta(minutes=2))
    saved()
    triggers = lambda query: cells(admin_client.get(RUNS + query).text, "trigger")  # noqa: E731
    assert triggers("?flt0_status_equals=success") == ["Schedule", "Command line"]
    assert triggers("?flt0_trigger_equals=schedule") == ["Schedule", "Schedule"]
    assert triggers(f"?flt0_integration_equals={other.id}") == ["Schedule"]
    assert cells(admin_client.get(RUNS + f"?flt0_integration_equals={other.id}").text, "integration") \
        == ["Second account"]


# -- sorting --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "sortable"), [
    (BOOKS, {"Last imported at"}),
    (CONTACTS, {"Status"}),
    (CAMPAIGNS, {"Status", "Date sent", "Deleted"}),
    (ACTIVITIES, {"Email", "Date sent"}),
    (RUNS, {"Requested", "Status"}),
])
def test_only_indexed_columns_offer_sorting(admin_client, integration, url, sortable):
    page = admin_client.get(url).text
    assert set(re.findall(r'title="Sort by ([^"]+)"', page)) == sortable


def test_campaigns_sort_by_the_summarys_date_sent(admin_client, integration):
    for name, days in [("Early", 1), ("Late", 9), ("Middle", 5)]:
        sent = campaign(integration, name, status="Sent")
        summary(integration, sent, date_sent=SENT + timedelta(days=days))
    saved()
    page = admin_client.get(CAMPAIGNS).text
    assert cells(page, "name") == ["Middle", "Late", "Early"]  # newest imported first
    link = re.search(r'href="([^"]+)" title="Sort by Date sent"', page).group(1).replace("&amp;", "&")
    ascending = admin_client.get(link).text
    assert cells(ascending, "name") == ["Early", "Middle", "Late"]
    link = re.search(r'href="([^"]+)" title="Sort by Date sent"', ascending).group(1).replace("&amp;", "&")
    assert cells(admin_client.get(link).text, "name") == ["Late", "Middle", "Early"]
