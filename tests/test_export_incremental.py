"""The export's incremental work: new, changed and departed members found by SQL, never by walking
the list; Dotdigital's cap on running imports; the periodic recheck for writes the ORM never saw."""

from __future__ import annotations

import time

import requests
from sqlalchemy import event, func, select, text, update

from example_app.models import Contact, db
from flask_dotdigital.models.enums import SyncStatus
from flask_dotdigital.sandbox.state import DEFAULT_PASSWORD, DEFAULT_USERNAME

from .exporting import M, book_members, connected_list, run_inline, seed_contacts, settle, uploads


def scheduled() -> int:
    return int(db.session.scalar(select(func.count()).select_from(M.AddressBookContact).where(
        M.AddressBookContact.scheduled_for_export.is_(True))) or 0)


def recorded() -> int:
    """Membership rows: a member is recorded once the file holding it was accepted."""
    return int(db.session.scalar(select(func.count()).select_from(M.AddressBookContact)) or 0)


def exported_list(size: int) -> tuple[object, object]:
    seed_contacts(size)
    integration, _, book = connected_list()
    assert run_inline(integration.id, "contact_export").status == SyncStatus.success
    settle(integration.id)
    return integration, book


def test_an_orm_change_goes_out_without_reading_the_unchanged_members(app, sandbox):
    integration, book = exported_list(600)
    contact = db.session.get(Contact, db.session.scalar(select(func.min(Contact.id))))
    contact.first_name = "Renamed"
    db.session.commit()
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    before = len(sandbox.state()["calls"])
    try:
        run = run_inline(integration.id, "contact_export")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert run.status == SyncStatus.success, run.message
    (export,) = db.session.execute(select(M.ContactExport).order_by(M.ContactExport.id.desc())
                                   .limit(1)).scalars()
    assert export.rows == 1 and len(uploads(sandbox, before)) == 1
    # 600 members, one changed: no statement reads the host contacts without a restriction to the
    # changed ids or the anti-joins, and the members' values are read for that one record only.
    host_reads = [s for s in statements if "FROM crm_contact" in s and "NOT (EXISTS" not in s]
    assert all("IN (" in s or "EXISTS" in s for s in host_reads), host_reads
    settle(integration.id)
    assert book_members(sandbox, book.origin_id)[contact.email]["FIRSTNAME"] == "Renamed"


def test_an_email_change_removes_the_old_address_and_adds_the_new(app, sandbox):
    integration, book = exported_list(5)
    assert run_inline(integration.id).status == SyncStatus.success  # Dotdigital's ids come back
    settle(integration.id)
    contact = db.session.execute(select(Contact).where(Contact.email == "c1@example.com")).scalar_one()
    contact.email = "renamed@example.com"
    db.session.commit()
    assert run_inline(integration.id, "contact_export").status == SyncStatus.success
    settle(integration.id)
    members = book_members(sandbox, book.origin_id)
    assert "c1@example.com" not in members
    assert members["renamed@example.com"]["FIRSTNAME"] == "F1"
    assert len(members) == 5


def test_raw_sql_changes_are_caught_by_the_periodic_recheck(app, sandbox):
    integration, book = exported_list(5)
    # Raw SQL: no SQLAlchemy event sees this write.
    db.session.execute(text("UPDATE crm_contact SET first_name = 'Raw' WHERE email = 'c2@example.com'"))
    db.session.commit()
    before = len(sandbox.state()["calls"])
    assert run_inline(integration.id, "contact_export").status == SyncStatus.success
    assert uploads(sandbox, before) == [], "not yet: the recheck is due once a day"
    db.session.execute(update(M.AddressBook).values(members_checked_at=None))  # a day later
    db.session.commit()
    assert run_inline(integration.id, "contact_export").status == SyncStatus.success
    (export,) = db.session.execute(select(M.ContactExport).order_by(M.ContactExport.id.desc())
                                   .limit(1)).scalars()
    assert export.rows == 1, "the recheck compares every member's values and sends only the change"
    settle(integration.id)
    assert book_members(sandbox, book.origin_id)["c2@example.com"]["FIRSTNAME"] == "Raw"


def test_a_list_bigger_than_the_import_slots_waits_for_them_inside_the_run(app, sandbox):
    app.config.update(DOTDIGITAL_EXPORT_BATCH_SIZE=10, DOTDIGITAL_MAX_ACTIVE_IMPORTS=2)
    seed_contacts(55)
    integration, _, book = connected_list()
    run = run_inline(integration.id, "contact_export")
    assert run.status == SyncStatus.success, run.message
    assert len(uploads(sandbox)) == 6 and scheduled() == 0
    settle(integration.id)
    assert len(book_members(sandbox, book.origin_id)) == 55


def test_when_no_slot_frees_up_the_rest_waits_for_the_next_run(app, sandbox):
    app.config.update(DOTDIGITAL_EXPORT_BATCH_SIZE=10, DOTDIGITAL_MAX_ACTIVE_IMPORTS=2,
                      DOTDIGITAL_IMPORT_SLOT_WAIT=0.5)
    sandbox.control(import_polls=6)  # Dotdigital is slow today: more polls than 0.5 s allows
    seed_contacts(35)
    integration, _, book = connected_list()
    started = time.monotonic()
    run = run_inline(integration.id, "contact_export")
    assert run.status == SyncStatus.success, run.message
    assert time.monotonic() - started < 30
    assert len(uploads(sandbox)) == 2 and recorded() == 20, "two files out, the rest still new"
    assert scheduled() == 0
    sandbox.control(import_polls=1)
    settle(integration.id, rounds=10)
    assert run_inline(integration.id, "contact_export").status == SyncStatus.success
    settle(integration.id, rounds=10)
    assert len(book_members(sandbox, book.origin_id)) == 35 and scheduled() == 0


def test_dotdigitals_own_refusal_of_another_import_is_not_a_failed_run(app, sandbox):
    seed_contacts(5)
    integration, _, book = connected_list()
    sandbox.control(import_polls=1000)
    # Another application fills the account's 25 import slots.
    session = requests.Session()
    session.auth = (DEFAULT_USERNAME, DEFAULT_PASSWORD)
    url = f"{sandbox.regional_url}/v2/address-books/{book.origin_id}/contacts/import"
    for number in range(25):
        answer = session.post(url, files={"file": (f"other-{number}.csv", b"Email\r\nx@example.com\r\n",
                                                   "text/csv")}, timeout=30)
        assert answer.status_code == 202
    run = run_inline(integration.id, "contact_export")
    assert run.status == SyncStatus.success, run.message
    assert recorded() == 0, "nothing lost: the members are still new, and wait for a free slot"
