"""Change tracking's edge cases: what a host write flags, and how many statements it adds."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, func, select, update

from example_app import dotdigital
from example_app.models import Contact, User, db
from flask_dotdigital.models.enums import SyncStatus
from flask_dotdigital.sync.export.inbound import guarded

from .exporting import M, connected_list, map_field, run_inline, seed_contacts


def exported(count):
    """``count`` contacts exported once, with first_name, last_name and owner.email mapped."""
    seed_contacts(count)
    integration, _, _ = connected_list()
    map_field(integration, "OWNER", "owner.email")
    assert run_inline(integration.id, "contact_export").status == SyncStatus.success
    dotdigital.tracker.invalidate()
    clear_flags()
    return db.session.execute(select(Contact).order_by(Contact.id)).scalars().all()


def flagged():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(M.AddressBookContact).where(
        M.AddressBookContact.entity_updated.is_(True)))


def clear_flags():
    db.session.execute(update(M.AddressBookContact).values(entity_updated=False))
    db.session.commit()


@contextmanager
def member_updates():
    """The UPDATEs of the members' table sent inside the block, as a growing list."""
    sent = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE dotdigital_address_book_contact"):
            sent.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_setting_a_mapped_field_to_its_own_value_flags_nothing(app, sandbox):
    contacts = exported(3)
    with member_updates() as sent:
        contacts[0].first_name = contacts[0].first_name
        contacts[1].last_name = contacts[1].last_name
        contacts[2].company = "Unmapped"
        db.session.commit()
    assert (flagged(), sent) == (0, [])


def test_one_flush_sends_one_update_per_source_and_relation(app, sandbox):
    contacts = exported(5)
    with member_updates() as sent:
        for contact in contacts[:3]:
            contact.first_name = f"New {contact.id}"
        contacts[3].last_name = "Changed"
        db.session.commit()
    assert len(sent) == 1 and flagged() == 4

    clear_flags()
    with member_updates() as sent:
        contacts = db.session.execute(select(Contact).order_by(Contact.id)).scalars().all()
        contacts[4].first_name = "Fifth"
        db.session.get(User, 1).email = "boss@example.com"  # owner.email: every contact
        db.session.commit()
    assert len(sent) == 2 and flagged() == 5


def test_an_expired_record_set_to_a_new_value_is_flagged(app, sandbox):
    contacts = exported(2)
    db.session.expire(contacts[0])
    contacts[0].first_name = "After expiry"
    db.session.commit()
    assert flagged() == 1


def test_writes_under_the_echo_guard_flag_nothing(app, sandbox):
    contacts = exported(2)
    with guarded():
        contacts[0].first_name = "From Dotdigital"
        db.session.get(User, 1).email = "echo@example.com"
        db.session.commit()
    assert flagged() == 0
    contacts = db.session.execute(select(Contact).order_by(Contact.id)).scalars().all()
    contacts[1].first_name = "From the host"
    db.session.commit()
    assert flagged() == 1
