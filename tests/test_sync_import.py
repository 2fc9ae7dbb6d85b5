"""The full Dotdigital → app import, run by a real RQ worker against the sandbox (issue 3).

Every test compares what was stored with the sandbox's own data (GET /__state), not only counts.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func

from example_app.models import db
from flask_dotdigital.models.enums import SyncStatus
from flask_dotdigital.sync.scheduling import request_sync

from .conftest import add_stat
from .syncing import (
    expected_memberships,
    local_memberships,
    make_integration,
    mapping,
    models,
    rows,
    runs,
    steps,
)
from .workers import run_burst

CONTACTS = 5000


@pytest.fixture
def generated(sandbox):
    sandbox.control(generate={"contacts": CONTACTS, "books": 3, "campaigns": 4, "seed": 1})
    return sandbox.state()["data"]


def sync_with_worker(app, integration, **env):
    request = request_sync(integration.id, trigger="test")
    run_burst(app, **env)
    return next(r for r in runs() if r.id == request.run_id)


def assert_matches_sandbox(data):
    assert rows(models.AddressBook, "origin_id", "name", "visibility", "contact_count") == {
        (b["id"], b["name"], b["visibility"], b["contacts"]) for b in data["address_books"]}
    assert rows(models.Contact, "origin_id", "email", "opt_in_type", "email_type") == {
        (c["id"], c["email"].lower(), c["optInType"], c["emailType"]) for c in data["contacts"]}
    stored_fields = mapping(models.Contact, "origin_id", "data_fields")
    members = [c for c in data["contacts"] if c["memberships"]]  # others are not imported anew
    for contact in members[:: max(1, len(members) // 200)]:
        assert stored_fields[contact["id"]] == contact["dataFields"], contact["email"]
    assert local_memberships() == expected_memberships(data)
    suppressed = {(s["contactId"], s["reason"]) for s in data["suppressions"]}
    assert suppressed <= rows(models.Contact, "origin_id", "status")
    imported = [c for c in data["campaigns"] if c["addressBookIds"]]
    assert rows(models.Campaign, "origin_id", "name", "subject", "status", "deleted") == {
        (c["id"], c["name"], c["subject"], c["status"], False) for c in imported}
    summaries = {s["campaignId"]: s for s in data["campaign_summaries"]}
    stored = rows(models.CampaignSummary, "campaign_id", "num_total_sent", "num_total_opens",
                  "num_total_clicks", "percentage_delivered")
    campaign_ids = dict(rows(models.Campaign, "id", "origin_id"))
    assert {(campaign_ids[c], *rest) for c, *rest in stored} == {
        (c["id"], summaries[c["id"]]["numTotalSent"], summaries[c["id"]]["numTotalOpens"],
         summaries[c["id"]]["numTotalClicks"], summaries[c["id"]]["percentageDelivered"])
        for c in imported if c["status"] not in ("Unsent", "Sending")}
    live = {c["id"] for c in imported}
    assert {(campaign_ids[c], o, n, k) for c, o, n, k in rows(
        models.Activity, "campaign_id", "contact_origin_id", "num_opens", "num_clicks")} == {
        (a["campaignId"], a["contactId"], a["numOpens"], a["numClicks"])
        for a in data["activities"] if a["campaignId"] in live}
    assert db.session.scalar(db.select(func.count()).select_from(models.CampaignOpen)) == len(
        [o for o in data["opens"] if o["campaignId"] in live])
    assert db.session.scalar(db.select(func.count()).select_from(models.CampaignClick)) == len(
        [c for c in data["clicks"] if c["campaignId"] in live])
    assert rows(models.DataField, "name", "type", "visibility") == {
        (f["name"], f["type"], f["visibility"]) for f in data["data_fields"]}


def test_full_sync_stores_everything_the_account_holds(app, generated):
    integration = make_integration()
    run = sync_with_worker(app, integration)
    assert run.status == SyncStatus.success, run.message
    assert [s.connector for s in run.steps] == [
        "address_book", "campaign", "contact", "unsubscribed_contact", "activity_contact",
        "campaign_summary", "contact_export", "datafield", "campaign_click", "campaign_open",
        "export_status"]
    assert steps(run)["contact"].created == CONTACTS
    assert len(generated["contacts"]) == CONTACTS and len(generated["address_books"]) == 3
    assert_matches_sandbox(generated)
    # Capitalised emails arrive lowercase, and every book remembers when it was imported.
    assert all(email == email.lower() for (email,) in rows(models.Contact, "email"))
    assert all(at is not None for (at,) in rows(models.AddressBook, "last_imported_at"))


def test_second_sync_fetches_only_the_changes(app, sandbox, generated):
    integration = make_integration()
    assert sync_with_worker(app, integration).status == SyncStatus.success
    touched = sandbox.control(touch_contacts={"count": 50, "seed": 2})["touched"]
    unsubscribed = sandbox.control(unsubscribe={"count": 5, "book_id": 101})["unsubscribed"]
    deleted = sandbox.control(delete_book=103)["deleted_book"]
    before = len(sandbox.state()["calls"])

    run = sync_with_worker(app, integration)
    assert run.status == SyncStatus.success, run.message
    calls = [c["path"] for c in sandbox.state()["calls"][before:]]
    assert any("/contacts/modified-since/" in p for p in calls)
    assert any("/contacts/unsubscribed-since/" in p for p in calls)
    assert any("/contacts/suppressed-since/" in p for p in calls)
    assert not any(p.endswith("/contacts") for p in calls), "no full contact listing the second time"
    data = sandbox.state()["data"]
    assert_matches_sandbox(data)
    # Only the changes arrived: touched and unsubscribed members of the books that remain.
    changed = {t["id"] for t in touched} | {u["id"] for u in unsubscribed}
    expected_reads = sum(1 for c in data["contacts"] if c["id"] in changed for _ in c["memberships"])
    assert steps(run)["contact"].read == expected_reads
    names = mapping(models.Contact, "origin_id", "data_fields")
    in_books = {c["id"] for c in data["contacts"] if c["memberships"]}
    assert len(in_books & {t["id"] for t in touched}) > 10
    for contact in touched:
        if contact["id"] in in_books:
            assert names[contact["id"]]["FIRSTNAME"] == contact["dataFields"]["FIRSTNAME"]
    assert (deleted["id"],) not in rows(models.AddressBook, "origin_id")
    assert steps(run)["address_book"].deleted == 1
    member, book, local = models.AddressBookContact, models.AddressBook, models.Contact
    dated = db.session.execute(
        db.select(local.origin_id, member.status, member.unsubscribed_date)
        .join(member, member.contact_id == local.id).join(book, member.address_book_id == book.id)
        .where(book.origin_id == 101, local.origin_id.in_([u["id"] for u in unsubscribed]))).all()
    assert len(dated) == 5
    for origin, status, when in dated:
        assert when is not None, origin
        assert status in ("Unsubscribed", "HardBounced", "IspComplained", "Suppressed")


def test_faulty_api_ends_with_the_same_state(app, sandbox, generated):
    integration = make_integration()
    sandbox.control(fault_rate={"rate": 0.10, "seed": 3,
                                "faults": [{"status": 503}, {"status": 500}, {"status": "drop"},
                                           {"status": "stall", "seconds": 1.5}]})
    run = sync_with_worker(app, integration, DOTDIGITAL_API_READ_TIMEOUT=1.0,
                           DOTDIGITAL_API_MAX_RETRIES=8)
    faulted = [c for c in sandbox.state()["calls"] if c["fault"]]
    sandbox.control(fault_rate=None)
    assert faulted, "the fault mode injected nothing"
    add_stat("faults injected", len(faulted))
    add_stat("faults recovered", len(faulted) if run.status == SyncStatus.success else 0)
    add_stat("rows compared", len(generated["contacts"]))
    assert run.status == SyncStatus.success, run.message
    assert_matches_sandbox(generated)


def test_wrong_password_fails_the_run_and_keeps_the_cursors(app, sandbox, generated):
    integration = make_integration()
    assert sync_with_worker(app, integration).status == SyncStatus.success
    cursors = rows(models.SyncCursor, "connector", "scope", "last_success_start")
    integration = db.session.get(models.Integration, integration.id)
    integration.password = "changed-on-dotdigitals-side"
    db.session.commit()

    run = sync_with_worker(app, integration)
    assert run.status == SyncStatus.failed
    assert "Authorization has been denied for this request." in run.message
    assert [s.status for s in run.steps] == [SyncStatus.failed]  # a 401 stops the run at once
    assert rows(models.SyncCursor, "connector", "scope", "last_success_start") == cursors
    assert all(at < datetime.now(UTC) for _, _, at in cursors)
