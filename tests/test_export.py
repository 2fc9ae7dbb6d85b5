"""The export: marketing list members → a Dotdigital address book, end to end against the sandbox."""

from __future__ import annotations

from sqlalchemy import func, select, update

from example_app.models import Contact, db
from flask_dotdigital.models.enums import ImportStatus, SyncStatus
from flask_dotdigital.sync.scheduling import request_sync

from .exporting import M, book_members, connected_list, run_inline, seed_contacts, settle, uploads
from .syncing import runs
from .workers import run_burst


def test_a_20000_member_list_goes_out_in_two_uploads(app, sandbox):
    seed_contacts(20_000)
    integration, _, book = connected_list()
    request_sync(integration.id, trigger="test", connectors=["contact_export"])
    run_burst(app)
    (run,) = runs()
    assert run.status == SyncStatus.success, run.message
    settle(integration.id)
    assert len(uploads(sandbox)) == 2, "10,000 rows a file, not one call per contact"
    assert not [c for c in sandbox.state()["calls"] if c["method"] == "POST" and
                c["path"].endswith(f"/address-books/{book.origin_id}/contacts")]
    members = book_members(sandbox, book.origin_id)
    assert len(members) == 20_000
    assert members["c12345@example.com"]["FIRSTNAME"] == "F12345"
    assert members["c12345@example.com"]["FULLNAME"] == "F12345 L12345"
    assert db.session.scalar(select(func.count()).select_from(M.ContactExport)) == 2
    db.session.expire_all()
    assert db.session.get(M.AddressBook, book.id).sync_status == ImportStatus.Finished


def test_only_changes_go_out_the_second_time(app, sandbox):
    seed_contacts(200)
    integration, _, book = connected_list()
    assert run_inline(integration.id).status == SyncStatus.success
    settle(integration.id)
    # The next import brings Dotdigital's ids for the exported contacts (needed to remove members).
    assert run_inline(integration.id).status == SyncStatus.success
    settle(integration.id)
    ids = db.session.execute(select(Contact.id).order_by(Contact.id)).scalars().all()
    db.session.execute(update(Contact).where(Contact.id.in_(ids[:10])).values(first_name="Changed"))
    db.session.execute(update(Contact).where(Contact.id.in_(ids[10:15])).values(city="Paris"))
    db.session.add_all([Contact(first_name=f"N{i}", last_name="New", email=f"new{i}@example.com",
                                city="London") for i in range(5)])
    db.session.commit()
    before = len(sandbox.state()["calls"])

    run = run_inline(integration.id)
    assert run.status == SyncStatus.success, run.message
    settle(integration.id)
    calls = sandbox.state()["calls"][before:]
    (upload,) = uploads(sandbox, before)
    (export,) = db.session.execute(select(M.ContactExport).order_by(M.ContactExport.id.desc())
                                   .limit(1)).scalars()
    assert export.rows == 15
    deletes = [c for c in calls if c["path"].endswith("/contacts/delete")]
    assert len(deletes) == 1
    members = book_members(sandbox, book.origin_id)
    assert len(members) == 200 - 5 + 5
    assert members["c0@example.com"]["FIRSTNAME"] == "Changed"
    assert "c12@example.com" not in members and "new3@example.com" in members
    assert not sandbox.state()["data"].get("destructive_delete_all")
    # A third sync finds nothing to send.
    before = len(sandbox.state()["calls"])
    assert run_inline(integration.id).status == SyncStatus.success
    assert uploads(sandbox, before) == []


def test_a_failed_upload_keeps_its_rows_for_the_next_run(app, sandbox):
    seed_contacts(30)
    integration, _, book = connected_list()
    run_inline(integration.id, "contact_export")  # settle nothing yet: make the first upload fail
    db.session.execute(update(M.AddressBookContact).values(scheduled_for_export=True))
    db.session.execute(M.ContactExport.__table__.delete())
    db.session.commit()
    sandbox.control(fail_next=[{"status": 503}])
    failed = run_inline(integration.id, "contact_export")
    assert failed.status == SyncStatus.failed
    scheduled = db.session.scalar(select(func.count()).select_from(M.AddressBookContact).where(
        M.AddressBookContact.scheduled_for_export.is_(True)))
    assert scheduled == 30
    again = run_inline(integration.id, "contact_export")
    assert again.status == SyncStatus.success, again.message
    assert db.session.scalar(select(func.count()).select_from(M.AddressBookContact).where(
        M.AddressBookContact.scheduled_for_export.is_(True))) == 0
    settle(integration.id)
    assert len(book_members(sandbox, book.origin_id)) == 30


def test_an_import_stuck_in_notfinished_becomes_unknown(app, sandbox):
    seed_contacts(3)
    integration, _, book = connected_list()
    sandbox.control(next_import_outcome="Stuck")
    run_inline(integration.id, "contact_export")
    for _ in range(30):
        run_inline(integration.id, "export_status")
    (export,) = db.session.execute(select(M.ContactExport)).scalars()
    assert export.status == ImportStatus.Unknown
    assert "NotFinished after 30 checks" in export.message
    db.session.expire_all()
    assert db.session.get(M.AddressBook, book.id).sync_status == ImportStatus.Unknown


def test_a_watchdog_rejection_takes_the_new_rows_back(app, sandbox):
    seed_contacts(4)
    integration, marketing_list, _ = connected_list()
    sandbox.control(next_import_outcome="RejectedByWatchdog")
    run_inline(integration.id, "contact_export")
    settle(integration.id)
    (export,) = db.session.execute(select(M.ContactExport)).scalars()
    assert export.status == ImportStatus.RejectedByWatchdog and export.faults_processed
    assert db.session.scalar(select(func.count()).select_from(M.AddressBookContact)) == 0
    removed = db.session.scalar(select(func.count()).select_from(M.RemovedItem).where(
        M.RemovedItem.marketing_list_id == marketing_list.id))
    assert removed == 4
    book = db.session.execute(select(M.AddressBook)).scalar_one()
    assert book.sync_status == ImportStatus.RejectedByWatchdog


def test_the_fault_report_marks_refused_emails_suppressed(app, sandbox):
    seed_contacts(3)
    db.session.add(Contact(first_name="Bad", last_name="Address", email="not-an-email", city="London"))
    db.session.commit()
    integration, _, _ = connected_list()
    run_inline(integration.id, "contact_export")
    settle(integration.id)
    bad = db.session.execute(select(M.Contact).where(M.Contact.email == "not-an-email")).scalar_one()
    assert bad.status == "Suppressed"
    (member,) = db.session.execute(select(M.AddressBookContact).where(
        M.AddressBookContact.contact_id == bad.id)).scalars()
    assert member.status == "Suppressed" and member.fault_reason
    # A suppressed member is never sent again.
    db.session.execute(update(M.AddressBookContact).values(entity_updated=True))
    db.session.commit()
    run_inline(integration.id, "contact_export")
    db.session.expire_all()
    assert db.session.get(M.AddressBookContact, member.id).scheduled_for_export is False


def test_ten_failed_status_checks_make_an_import_unknown(app, sandbox):
    seed_contacts(3)
    integration, _, _ = connected_list()
    sandbox.control(next_import_outcome="Stuck")
    run_inline(integration.id, "contact_export")
    app.config["DOTDIGITAL_API_MAX_RETRIES"] = 0
    for _ in range(10):
        sandbox.control(fail_next=[{"status": 503}])
        run_inline(integration.id, "export_status")
    (export,) = db.session.execute(select(M.ContactExport)).scalars()
    assert export.status == ImportStatus.Unknown
    assert "could not be read 10 times" in export.message


def test_a_books_next_upload_waits_for_its_previous_import(app, sandbox):
    seed_contacts(5)
    integration, _, _ = connected_list()
    sandbox.control(import_polls=50)  # Dotdigital is slow to finish this one
    run_inline(integration.id, "contact_export")
    db.session.execute(update(Contact).values(first_name="Changed"))
    db.session.commit()
    before = len(sandbox.state()["calls"])
    run_inline(integration.id, "contact_export")
    assert uploads(sandbox, before) == [], "no second upload while the first is unfinished"
    assert db.session.scalar(select(func.count()).select_from(M.AddressBookContact).where(
        M.AddressBookContact.scheduled_for_export.is_(True))) == 5, "the changes wait, scheduled"
