"""Marketing lists: members as each definition says (dynamic, static, segment), the list's page,
and its link to a Dotdigital address book through the Connect dialog and the dotdigital menu."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import delete, select

from example_app import dotdigital
from example_app.models import Contact, Lead, User, db
from flask_dotdigital.errors import ConfigError
from flask_dotdigital.marketing_lists import members_query

from .conftest import csrf_token
from .syncing import make_integration, runs

M = dotdigital.models
URL = "/admin/marketing-lists/"


@pytest.fixture
def people(app):
    """A known set of contacts (the seeded demo ones are removed)."""
    db.session.execute(delete(Contact))
    admin = db.session.get(User, 1)
    rows = [
        Contact(first_name="Ann", last_name="Lee", email="ann@example.com", city="London", company="Acme",
                birthday=datetime(1990, 5, 1), owner=admin),
        Contact(first_name="Bob", last_name="Ray", email="BOB@Example.org", city="Leeds", company=None,
                birthday=datetime(1985, 1, 1), owner=admin),
        Contact(first_name="Cy", last_name="Fox", email="cy@example.net", city="london", company="Globex",
                birthday=None, owner=None),
        Contact(first_name="Di", last_name="Orr", email="", city="London", company="Acme", owner=admin),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return {c.first_name: c.id for c in rows}


def make_list(name, kind="dynamic", definition=None, entity="Contact"):
    marketing_list = M.MarketingList(name=name, entity=entity, type=kind, definition=definition)
    db.session.add(marketing_list)
    db.session.commit()
    return marketing_list


def member_ids(marketing_list):
    source = dotdigital.sources.get(marketing_list.entity)
    return {row.entity_id for row in db.session.execute(members_query(marketing_list, source, M))}


def rule(field, op, value=None):
    return {"field": field, "op": op, "value": value}


@pytest.mark.parametrize(("conditions", "expected"), [
    ({"match": "all", "rules": []}, {"Ann", "Bob", "Cy"}),  # Di has no email: never a member
    ({"match": "all", "rules": [rule("city", "eq", "London")]}, {"Ann", "Cy"}),  # case-blind
    ({"match": "all", "rules": [rule("city", "eq", "London"), rule("company", "eq", "Acme")]}, {"Ann"}),
    ({"match": "any", "rules": [rule("city", "eq", "Leeds"), rule("company", "eq", "Globex")]},
     {"Bob", "Cy"}),
    ({"match": "all", "rules": [rule("company", "empty")]}, {"Bob"}),
    ({"match": "all", "rules": [rule("company", "not_empty")]}, {"Ann", "Cy"}),
    ({"match": "all", "rules": [rule("email", "contains", "example.org")]}, {"Bob"}),
    ({"match": "all", "rules": [rule("email", "not_contains", "example")]}, set()),
    ({"match": "all", "rules": [rule("birthday", "lt", "1989-01-01T00:00:00")]}, {"Bob"}),
    ({"match": "all", "rules": [rule("owner.email", "eq", "admin@example.com")]}, {"Ann", "Bob"}),
    ({"match": "all", "rules": [rule("owner.email", "empty")]}, {"Cy"}),
    ({"match": "any", "rules": [rule("city", "eq", "Leeds"),
                                {"match": "all", "rules": [rule("city", "eq", "London"),
                                                           rule("company", "eq", "Globex")]}]},
     {"Bob", "Cy"}),
])
def test_dynamic_list_members_follow_the_conditions(people, conditions, expected):
    marketing_list = make_list("Dynamic", definition=conditions)
    assert member_ids(marketing_list) == {people[name] for name in expected}


def test_static_and_segment_lists(people):
    static = make_list("Hand-picked", "static")
    db.session.add_all([M.StaticMember(marketing_list_id=static.id, entity_id=people["Bob"]),
                        M.StaticMember(marketing_list_id=static.id, entity_id=people["Di"])])
    db.session.commit()
    assert member_ids(static) == {people["Bob"]}  # Di has no email
    segment = make_list("Londoners", "segment", "London contacts")
    assert member_ids(segment) == {people["Ann"]}  # the segment compares exactly: "london" differs


def test_leads_lists_use_the_lead_entity(app):
    db.session.execute(delete(Lead))
    db.session.add_all([Lead(name="L1", email="l1@example.net", source="web"),
                        Lead(name="L2", email="l2@example.net", source="event")])
    db.session.commit()
    leads = make_list("Web leads", entity="Lead",
                      definition={"match": "all", "rules": [rule("source", "eq", "web")]})
    ids = {row.entity_id for row in db.session.execute(
        members_query(leads, dotdigital.sources.get("Lead"), M))}
    assert ids == {db.session.scalar(select(Lead.id).where(Lead.name == "L1"))}


@pytest.mark.parametrize(("bad", "message"), [
    ({"rules": [rule("nope", "eq", "x")]}, "has no field 'nope'"),
    ({"rules": [rule("birthday", "gt", "soon")]}, "needs a datetime value"),
    ({"rules": [rule("city", "between", "x")]}, 'Unknown comparison "between"'),
    ({"rules": [rule("birthday", "contains", "19")]}, "is not text"),
    ({"rules": [rule("owner.password_hash", "eq", "x")]}, "has no field"),
])
def test_bad_conditions_are_refused_with_a_sentence(people, bad, message):
    with pytest.raises(ConfigError, match=message):
        member_ids(make_list("Bad", definition=bad))


def post_list(client, url, **fields):
    token = csrf_token(client.get(url).text)
    return client.post(url, data={"csrf_token": token, **fields})


def test_create_a_dynamic_list_in_the_admin_and_preview_it(admin_client, people):
    conditions = json.dumps({"match": "all", "rules": [rule("city", "eq", "London")]})
    response = post_list(admin_client, f"{URL}new/", name="London", entity="Contact", type="dynamic",
                         conditions=conditions, segment="")
    assert response.status_code == 302, response.text
    saved = db.session.execute(select(M.MarketingList)).scalar_one()
    assert saved.definition["rules"][0]["value"] == "London"
    page = admin_client.get(f"{URL}details/?id={saved.id}").text
    assert 'id="dd-member-count">2<' in page
    assert "ann@example.com" in page and "cy@example.net" in page and "BOB@Example.org" not in page
    assert "Connect to dotdigital" in page


def test_the_form_shows_condition_errors_and_saves_nothing(admin_client, people):
    conditions = json.dumps({"match": "all", "rules": [rule("birthday", "gt", "soon")]})
    response = post_list(admin_client, f"{URL}new/", name="Bad", entity="Contact", type="dynamic",
                         conditions=conditions, segment="")
    assert response.status_code == 200
    assert "needs a datetime value" in response.text
    assert db.session.execute(select(M.MarketingList)).first() is None


def test_static_members_are_added_and_removed_on_the_lists_page(admin_client, people):
    static = make_list("Picked", "static")
    page = admin_client.get(f"{URL}details/?id={static.id}&q=example.org").text
    assert "BOB@Example.org" in page
    token = csrf_token(page)
    admin_client.post(f"{URL}add-member/", data={"csrf_token": token, "id": static.id,
                                                 "entity_id": people["Bob"]})
    assert member_ids(static) == {people["Bob"]}
    admin_client.post(f"{URL}remove-member/", data={"csrf_token": token, "id": static.id,
                                                    "entity_id": people["Bob"]})
    assert member_ids(static) == set()
    refused = admin_client.post(f"{URL}add-member/", data={"id": static.id, "entity_id": people["Bob"]})
    assert refused.status_code == 400 and member_ids(static) == set()


def connect(client, marketing_list, **fields):
    token = csrf_token(client.get(f"{URL}details/?id={marketing_list.id}").text)
    return client.post(f"{URL}connect/", data={"csrf_token": token, "id": marketing_list.id, **fields})


def test_connect_creates_a_new_address_book_in_dotdigital(admin_client, people, sandbox):
    integration = make_integration()
    marketing_list = make_list("London", definition={"match": "all", "rules": []})
    response = connect(admin_client, marketing_list, integration=integration.id, address_book="new",
                       new_name="CRM London", new_visibility="Public", create_entities="y")
    assert response.status_code == 302, response.text
    remote = {b["name"]: b for b in sandbox.state()["data"]["address_books"]}
    assert remote["CRM London"]["visibility"] == "Public"
    book = db.session.execute(select(M.AddressBook)).scalar_one()
    assert (book.origin_id, book.marketing_list_id, book.create_entities) == (
        remote["CRM London"]["id"], marketing_list.id, True)
    page = admin_client.get(f"{URL}details/?id={marketing_list.id}").text
    assert ('This list is linked to "CRM London" dotdigital address book. Last synchronization date: '
            "never. Synchronization status: Not Synced.") in page
    for label in ("Synchronize", "Refresh Data Fields", "Connection Settings", "Disconnect"):
        assert label in page
    assert runs(), "connecting schedules a synchronization"


@pytest.mark.parametrize(("name", "message"), [
    ("Existing book", "That name is in use already, please choose another. ERROR_ADDRESSBOOK_DUPLICATE"),
    ("x" * 129, "The address book name must be 128 characters or less. ERROR_PARAMETER_INVALID"),
])
def test_dotdigitals_refusal_is_shown_on_the_dialog(admin_client, people, sandbox, name, message):
    integration = make_integration()
    sandbox.control(generate={"contacts": 10, "books": 1, "campaigns": 1, "seed": 1})
    existing = sandbox.state()["data"]["address_books"][0]["name"]
    marketing_list = make_list("London", definition={"match": "all", "rules": []})
    response = connect(admin_client, marketing_list, integration=integration.id, address_book="new",
                       new_name=existing if name == "Existing book" else name, new_visibility="Private")
    assert response.status_code == 200
    assert message in response.text
    assert db.session.execute(select(M.AddressBook)).first() is None


def test_a_book_serves_one_list_and_disconnect_frees_it(admin_client, people):
    integration = make_integration()
    book = M.AddressBook(integration_id=integration.id, origin_id=555, name="Taken")
    db.session.add(book)
    first, second = make_list("First"), make_list("Second")
    assert connect(admin_client, first, integration=integration.id, address_book=book.id).status_code == 302
    page = admin_client.get(f"{URL}details/?id={second.id}").text
    assert ">Taken<" not in page  # not offered to another list
    refused = connect(admin_client, second, integration=integration.id, address_book=book.id)
    assert "no other marketing list uses" in refused.text
    token = csrf_token(admin_client.get(f"{URL}details/?id={first.id}").text)
    admin_client.post(f"{URL}disconnect/", data={"csrf_token": token, "id": first.id})
    db.session.expire_all()
    assert db.session.get(M.AddressBook, book.id).marketing_list_id is None


def test_refresh_data_fields_marks_the_members(admin_client, people):
    integration = make_integration()
    marketing_list = make_list("List")
    book = M.AddressBook(integration_id=integration.id, origin_id=9, name="B",
                         marketing_list_id=marketing_list.id)
    contact = M.Contact(integration_id=integration.id, email="ann@example.com")
    db.session.add_all([book, contact])
    db.session.flush()
    db.session.add(M.AddressBookContact(integration_id=integration.id, address_book_id=book.id,
                                        contact_id=contact.id, marketing_list_item_class="Contact",
                                        marketing_list_item_id=people["Ann"]))
    db.session.commit()
    token = csrf_token(admin_client.get(f"{URL}details/?id={marketing_list.id}").text)
    response = admin_client.post(f"{URL}refresh-data-fields/", data={"csrf_token": token,
                                                                     "id": marketing_list.id})
    assert "Data Fields will be updated with the next synchronization" in admin_client.get(
        response.headers["Location"]).text
    db.session.expire_all()
    assert db.session.execute(select(M.AddressBookContact.entity_updated)).scalar() is True


def test_marketing_list_screens_need_permission_and_csrf(app, user_client, people):
    marketing_list = make_list("List")
    anonymous = app.test_client()
    for url in [URL, f"{URL}new/", f"{URL}details/?id={marketing_list.id}"]:
        assert anonymous.get(url).status_code == 302
        assert user_client.get(url).status_code == 403
    for action in ("connect", "synchronize", "refresh-data-fields", "disconnect", "add-member"):
        assert user_client.post(f"{URL}{action}/", data={"id": marketing_list.id}).status_code == 403
        assert anonymous.post(f"{URL}{action}/", data={"id": marketing_list.id}).status_code == 302


def test_a_source_whose_email_comes_through_a_relation(app):
    """register_entity(Model, email="owner.email"): members are read through the to-one relation."""
    from flask_dotdigital.sources import SourceRegistry

    registry = SourceRegistry()
    source = registry.register(Lead, email="owner.email", label="Lead by owner",
                               exclude=["owner.password_hash"])
    db.session.execute(delete(Lead))
    db.session.add_all([Lead(name="Owned", email="lead@example.net", owner_id=1),
                        Lead(name="Orphan", email="orphan@example.net")])
    db.session.commit()
    marketing_list = M.MarketingList(name="By owner", entity="Lead", type="dynamic",
                                     definition={"match": "all", "rules": []})
    rows = db.session.execute(members_query(marketing_list, source, M)).all()
    assert [r.email for r in rows] == ["admin@example.com"]
    assert "owner.password_hash" not in {f.path for f in source.fields()}
