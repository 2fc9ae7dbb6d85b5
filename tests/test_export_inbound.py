"""Two-way data fields, Create New Entities and change tracking, against the sandbox."""

from __future__ import annotations

from sqlalchemy import func, select, update

from example_app.models import Contact, User, db
from flask_dotdigital.api.data_fields import create_data_field
from flask_dotdigital.api.imports import import_status, upload_contacts
from flask_dotdigital.connection import client_for
from flask_dotdigital.models.enums import SyncStatus

from .exporting import (
    M,
    book_members,
    connected_list,
    map_field,
    run_inline,
    seed_contacts,
    settle,
    uploads,
)


def two_way_first_name():
    row = db.session.execute(select(M.DataFieldMappingConfig).join(M.DataField).where(
        M.DataField.name == "FIRSTNAME")).scalar_one()
    row.is_two_way_sync = True
    db.session.commit()


def exported_and_imported(integration_id):
    """Export, let Dotdigital finish, then import back (ids and Dotdigital's data fields)."""
    assert run_inline(integration_id).status == SyncStatus.success
    settle(integration_id)
    assert run_inline(integration_id).status == SyncStatus.success
    settle(integration_id)


def test_a_two_way_field_changed_in_dotdigital_reaches_the_host_and_does_not_echo(app, sandbox):
    seed_contacts(20)
    integration, _, book = connected_list()
    two_way_first_name()
    exported_and_imported(integration.id)
    touched = sandbox.control(touch_contacts={"count": 3, "seed": 5})["touched"]
    emails = {t["email"].lower(): t["dataFields"]["FIRSTNAME"] for t in touched}

    assert run_inline(integration.id).status == SyncStatus.success
    for email, first in emails.items():
        assert db.session.execute(select(Contact.first_name).where(Contact.email == email)).scalar() == first
    before = len(sandbox.state()["calls"])
    assert run_inline(integration.id).status == SyncStatus.success
    assert uploads(sandbox, before) == [], "no echo: the value that came in is not sent back"

    # Changing it back on the host is exported, once.
    email = next(iter(emails))
    db.session.execute(update(Contact).where(Contact.email == email).values(first_name="Back"))
    db.session.commit()
    before = len(sandbox.state()["calls"])
    assert run_inline(integration.id).status == SyncStatus.success
    assert len(uploads(sandbox, before)) == 1
    settle(integration.id)
    assert book_members(sandbox, book.origin_id)[email]["FIRSTNAME"] == "Back"
    before = len(sandbox.state()["calls"])
    assert run_inline(integration.id).status == SyncStatus.success
    assert run_inline(integration.id).status == SyncStatus.success
    assert uploads(sandbox, before) == [], "a third sync sends nothing"


def test_a_conflict_keeps_the_hosts_value_and_records_the_lost_one(app, sandbox):
    seed_contacts(5)
    integration, _, _ = connected_list()
    two_way_first_name()
    exported_and_imported(integration.id)
    (touched,) = sandbox.control(touch_contacts={"count": 1, "seed": 9})["touched"]
    email = touched["email"].lower()
    db.session.execute(update(Contact).where(Contact.email == email).values(first_name="Mine"))
    db.session.commit()
    assert run_inline(integration.id).status == SyncStatus.success
    assert db.session.execute(select(Contact.first_name).where(Contact.email == email)).scalar() == "Mine"
    (conflict,) = db.session.execute(select(M.FieldConflict)).scalars()
    assert (conflict.data_field, conflict.email, conflict.kept_value, conflict.lost_value) == (
        "FIRSTNAME", email, "Mine", touched["dataFields"]["FIRSTNAME"])
    assert "both sides" in conflict.reason


def test_create_new_entities_makes_host_records_with_an_owner(app, sandbox):
    seed_contacts(2)
    integration, _, book = connected_list()
    db.session.execute(update(M.AddressBook).values(create_entities=True))
    map_field(integration, "LASTNAME", "last_name")
    client = client_for(integration)
    create_data_field(client, "LASTNAME", "String", "Public")
    exported_and_imported(integration.id)
    # Someone adds a contact straight into the book in Dotdigital.
    upload_contacts(client, book.origin_id,
                    b"Email,FIRSTNAME,LASTNAME\r\nnewcomer@example.org,Nia,Newcomer\r\n")
    for _ in range(3):  # the sandbox finishes an import after a few polls
        import_status(client, sandbox.state()["imports"][-1]["id"])
    run = run_inline(integration.id)
    assert run.status == SyncStatus.success, run.message
    created = db.session.execute(select(Contact).where(Contact.email == "newcomer@example.org")).scalar_one()
    assert (created.first_name, created.last_name) == ("Nia", "Newcomer")
    assert created.owner == db.session.get(User, 1)  # the integration's default owner
    member = db.session.execute(select(M.AddressBookContact).join(M.Contact).where(
        M.Contact.email == "newcomer@example.org")).scalar_one()
    assert (member.marketing_list_item_class, member.marketing_list_item_id, member.new_entity) == (
        "Contact", created.id, True)


def test_changing_a_mapped_field_marks_the_member_for_re_export(app, sandbox):
    seed_contacts(3)
    integration, _, _ = connected_list()
    map_field(integration, "OWNER", "owner.email")
    assert run_inline(integration.id, "contact_export").status == SyncStatus.success
    dotdigital_tracker().invalidate()

    def flagged():
        db.session.expire_all()
        return db.session.scalar(select(func.count()).select_from(M.AddressBookContact).where(
            M.AddressBookContact.entity_updated.is_(True)))

    contact = db.session.execute(select(Contact).order_by(Contact.id)).scalars().first()
    contact.company = "Unmapped change"
    db.session.commit()
    assert flagged() == 0
    contact.first_name = "Mapped change"
    db.session.commit()
    assert flagged() == 1
    db.session.execute(update(M.AddressBookContact).values(entity_updated=False))
    db.session.commit()
    owner = db.session.get(User, 1)
    owner.email = "boss@example.com"  # reached through owner.email: all three contacts
    db.session.commit()
    assert flagged() == 3


def dotdigital_tracker():
    from example_app import dotdigital

    return dotdigital.tracker


def test_virtual_fields_are_exported_and_the_force_sync_follows_its_policy(app, sandbox):
    from flask_dotdigital.sync.force import force_sync

    seed_contacts(4)
    integration, _, book = connected_list()
    map_field(integration, "GREETING", "greeting")
    create_data_field(client_for(integration), "GREETING", "String", "Public")
    assert run_inline(integration.id, "contact_export").status == SyncStatus.success
    settle(integration.id)
    assert book_members(sandbox, book.origin_id)["c1@example.com"]["GREETING"] == "Dear F1"

    def flagged():
        db.session.expire_all()
        return db.session.scalar(select(func.count()).select_from(M.AddressBookContact).where(
            M.AddressBookContact.entity_updated.is_(True)))

    app.config["DOTDIGITAL_FORCE_SYNC"] = "None"
    assert force_sync() == 0 and flagged() == 0
    app.config["DOTDIGITAL_FORCE_SYNC"] = "VirtualOnly"
    assert force_sync() == 4 and flagged() == 4
    # A computed value can change without any column changing: flagged members are recomputed,
    # and only a value that differs from what was sent goes out.
    before = len(sandbox.state()["calls"])
    assert run_inline(integration.id, "contact_export").status == SyncStatus.success
    assert uploads(sandbox, before) == [] and flagged() == 0
    settle(integration.id)
    # "Always" sends every member again, overwriting what was edited in Dotdigital.
    app.config["DOTDIGITAL_FORCE_SYNC"] = "Always"
    assert force_sync() == 4 and flagged() == 4
    before = len(sandbox.state()["calls"])
    assert run_inline(integration.id, "contact_export").status == SyncStatus.success
    assert len(uploads(sandbox, before)) == 1 and flagged() == 0
