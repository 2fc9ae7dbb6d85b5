"""Helpers for the export tests: many host contacts, a connected list, a mapping, and runs."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import delete, exists, func, insert, select

from example_app import dotdigital
from example_app.models import Contact, db
from flask_dotdigital.api.address_books import create_address_book
from flask_dotdigital.api.data_fields import create_data_field, data_fields
from flask_dotdigital.connection import client_for
from flask_dotdigital.marketing_lists import members_query
from flask_dotdigital.models.enums import SyncStatus
from flask_dotdigital.sync.export.members import linked_to
from flask_dotdigital.sync.runner import run_sync

from .syncing import make_integration

M = dotdigital.models


def seed_contacts(count: int, *, city: str = "London") -> None:
    """``count`` host contacts c<i>@example.com with first name F<i> (one bulk INSERT)."""
    db.session.execute(delete(Contact))
    db.session.execute(insert(Contact), [
        {"first_name": f"F{i}", "last_name": f"L{i}", "email": f"c{i}@example.com", "city": city,
         "owner_id": 1} for i in range(count)])
    db.session.commit()


def connected_list(name: str = "Londoners", book_name: str = "CRM export") -> tuple[Any, Any, Any]:
    """An integration, a dynamic list (city is London) linked to a new book, and a mapping."""
    integration = make_integration()
    marketing_list = M.MarketingList(name=name, entity="Contact", type="dynamic", definition={
        "match": "all", "rules": [{"field": "city", "op": "eq", "value": "London"}]})
    db.session.add(marketing_list)
    db.session.flush()
    client = client_for(integration)
    created = create_address_book(client, book_name, "Private")
    for name in ("FIRSTNAME", "FULLNAME"):  # the account's data fields, as a data-field sync finds them
        if name not in {f["name"] for f in data_fields(client)}:
            create_data_field(client, name, "String", "Public")
    book = M.AddressBook(integration_id=integration.id, origin_id=created["id"], name=book_name,
                         marketing_list_id=marketing_list.id)
    first = M.DataField(integration_id=integration.id, name="FIRSTNAME", type="String",
                        visibility="Public")
    full = M.DataField(integration_id=integration.id, name="FULLNAME", type="String",
                       visibility="Public")
    mapping = M.DataFieldMapping(integration_id=integration.id, entity="Contact", sync_priority=20)
    db.session.add_all([book, first, full, mapping])
    db.session.flush()
    db.session.add_all([
        M.DataFieldMappingConfig(mapping_id=mapping.id, data_field_id=first.id, entity_fields="first_name"),
        M.DataFieldMappingConfig(mapping_id=mapping.id, data_field_id=full.id,
                                 entity_fields="first_name,last_name")])
    db.session.commit()
    return integration, marketing_list, book


def run_inline(integration_id: int, *connectors: str) -> Any:
    run = M.SyncRun(integration_id=integration_id, trigger="test",
                    requested_connectors=",".join(connectors) or None)
    db.session.add(run)
    db.session.commit()
    run_sync(run.id)
    db.session.expire_all()
    return db.session.get(M.SyncRun, run.id)


def settle(integration_id: int, rounds: int = 5) -> None:
    """Poll the uploads until Dotdigital (the sandbox) finished them."""
    for _ in range(rounds):
        run = run_inline(integration_id, "export_status")
        assert run.status == SyncStatus.success, run.message
        pending = db.session.execute(select(M.ContactExport.id).where(
            M.ContactExport.status == "NotFinished")).first()
        if pending is None:
            return
    raise AssertionError("the imports never finished")


def book_members(sandbox: Any, book_origin: int) -> dict[str, dict[str, Any]]:
    """email → dataFields of every contact in the sandbox's book."""
    data = sandbox.state()["data"]
    return {c["email"].lower(): c["dataFields"] for c in data["contacts"]
            if any(m["addressBookId"] == book_origin for m in c["memberships"])}


def uploads(sandbox: Any, since: int = 0) -> list[dict[str, Any]]:
    return [c for c in sandbox.state()["calls"][since:]
            if c["method"] == "POST" and c["path"].endswith("/contacts/import")]


def map_field(integration: Any, name: str, entity_fields: str) -> None:
    """Add a String data field ``name`` to the integration and map ``entity_fields`` of Contact to it."""
    field = M.DataField(integration_id=integration.id, name=name, type="String", visibility="Public")
    db.session.add(field)
    db.session.flush()
    mapping = db.session.execute(select(M.DataFieldMapping)).scalar_one()
    db.session.add(M.DataFieldMappingConfig(mapping_id=mapping.id, data_field_id=field.id,
                                            entity_fields=entity_fields))
    db.session.commit()


def waiting(book: Any) -> int:
    """Members still to go out: rows scheduled again, and list members the book holds no row for
    yet (a new member's row is written once the file holding it was accepted)."""
    db.session.expire_all()
    member, book = M.AddressBookContact, db.session.get(M.AddressBook, book.id)
    source = current_app.extensions["dotdigital"].ext.sources.get(book.marketing_list.entity)
    scheduled = db.session.scalar(select(func.count()).select_from(member).where(
        member.address_book_id == book.id, member.scheduled_for_export.is_(True)))
    unlinked = members_query(book.marketing_list, source, M).where(
        ~exists().where(linked_to(member, book, source))).order_by(None).subquery()
    return int(scheduled or 0) + int(db.session.scalar(select(func.count()).select_from(unlinked)) or 0)
