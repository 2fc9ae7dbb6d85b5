"""Data Field Mappings: Oro's row rules, the mapping editor's form path, default mappings after the
first data-field sync, and members sent again when a mapping changes (§1.11, §1.12, §2.4.7, §2.8, §3.4).
"""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import JSON, LargeBinary, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from example_app import dotdigital
from example_app.models import db
from flask_dotdigital import mappings
from flask_dotdigital.mappings import MappingRow, check_mapping, check_row
from flask_dotdigital.sources import ContactSource
from flask_dotdigital.sync.runner import run_sync

from .browser import browser_page, live_server, log_in, needs_chromium
from .conftest import csrf_token
from .syncing import make_integration

M = dotdigital.models
URL = "/admin/dotdigital/data-field-mappings/"
CONTACT = dotdigital.sources.get("Contact")
LEAD = dotdigital.sources.get("Lead")


class _Base(DeclarativeBase):
    pass


class Profile(_Base):
    """A source with columns no data field can take (binary and JSON)."""

    __tablename__ = "test_profile"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255))
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    preferences: Mapped[dict | None] = mapped_column(JSON)


PROFILE = ContactSource(key="Profile", model=Profile, label="Profile", email="email")


def add(*rows):
    db.session.add_all(rows)
    db.session.flush()
    return rows[0] if len(rows) == 1 else rows


def new_integration(name="Main account"):
    row = add(M.Integration(type="dotdigital", name=name, username="api@apiconnector.com",
                            password="secret-password", enabled=True))
    db.session.commit()
    return row


@pytest.fixture
def integration(app):
    return new_integration()


FIELD_TYPES = {"FIRSTNAME": "String", "LASTNAME": "String", "FULLNAME": "String",
               "POINTS": "Numeric", "BIRTHDAY": "Date", "IS_VIP": "Boolean"}


def make_fields(integration):
    rows = {name: M.DataField(integration_id=integration.id, name=name, type=kind, visibility="Public")
            for name, kind in FIELD_TYPES.items()}
    add(*rows.values())
    db.session.commit()
    return rows


@pytest.fixture
def fields(integration):
    return make_fields(integration)


def mapping_count():
    return db.session.scalar(db.select(func.count()).select_from(M.DataFieldMapping))


def stored_rows(mapping_id):
    db.session.expire_all()
    config, field = M.DataFieldMappingConfig, M.DataField
    found = db.session.execute(
        db.select(config.id, field.name, config.entity_fields, config.is_two_way_sync)
        .join(field, config.data_field_id == field.id)
        .where(config.mapping_id == mapping_id).order_by(config.id))
    return [tuple(row) for row in found]


def text(response):
    """The page as a reader sees it: entities decoded, tags and runs of spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def source(*rows):
    return json.dumps({"mapping": [
        {"id": row.get("id"), "entityFields": row.get("fields", ""), "dataField": row.get("df"),
         "isTwoWaySync": row.get("two_way", False)} for row in rows]})


def form(token, integration, entity="Contact", priority="5", rows=()):
    return {"csrf_token": token, "integration_id": str(integration.id), "entity": entity,
            "sync_priority": priority, "config_source": source(*rows)}


def token_for(client, url=f"{URL}new/"):
    return csrf_token(client.get(url).text)


# -- the row rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("data_field", "paths", "expected"), [
    ("FULLNAME", ["first_name", "last_name"], []),
    ("FIRSTNAME", ["owner.email"], []),
    ("FIRSTNAME", ["birthday"], []),  # String takes anything that can become text
    ("FIRSTNAME", ["owner_id"], []),
    ("POINTS", ["id"], []),
    ("POINTS", ["first_name"], ['Mapping for field "POINTS" must be of numeric type']),
    ("BIRTHDAY", ["birthday"], []),
    ("BIRTHDAY", ["city"], ['Mapping for field "BIRTHDAY" must be of datetime type']),
    ("IS_VIP", ["owner.is_admin"], []),
    ("IS_VIP", ["owner_id"], ['Mapping for field "IS_VIP" must be of boolean type']),
    ("POINTS", ["id", "owner_id"],
     ["Several entity fields can be mapped only to the Data Field of type string"]),
    ("BIRTHDAY", ["birthday", "updated_at"],
     ["Several entity fields can be mapped only to the Data Field of type string"]),
    ("FIRSTNAME", ["nickname"], ['Unknown field "nickname" of Contact']),
    ("FIRSTNAME", ["owner.password_hash"], ['Unknown field "owner.password_hash" of Contact']),
    ("FIRSTNAME", [], ["This value should not be blank."]),
])
def test_a_row_needs_fields_whose_type_the_data_field_takes(fields, data_field, paths, expected):
    assert check_row(CONTACT, fields[data_field], paths, False) == expected


def test_a_string_data_field_refuses_binary_and_structured_fields(fields):
    assert check_row(PROFILE, fields["FIRSTNAME"], ["photo"], False) == [
        'Mapping for field "FIRSTNAME" must be convertable to string']
    assert check_row(PROFILE, fields["FULLNAME"], ["email", "preferences"], False) == [
        'Mapping for field "FULLNAME" must be convertable to string']
    assert check_row(PROFILE, fields["FIRSTNAME"], ["email"], False) == []


def test_a_row_needs_a_data_field(fields):
    assert check_row(CONTACT, None, ["first_name"], False) == ["This value should not be blank."]
    assert check_row(CONTACT, None, [], False) == ["This value should not be blank."] * 2


def test_two_way_sync_needs_one_field_of_the_entity_itself(fields):
    message = "Two way sync is possible only for a single field of the entity itself"
    assert check_row(CONTACT, fields["FIRSTNAME"], ["first_name"], True) == []
    assert check_row(LEAD, fields["FULLNAME"], ["name"], True) == []
    assert check_row(CONTACT, fields["FIRSTNAME"], ["owner.name"], True) == [message]
    assert check_row(CONTACT, fields["FULLNAME"], ["first_name", "last_name"], True) == [message]
    assert check_row(CONTACT, fields["FULLNAME"], ["first_name", "last_name"], False) == []


def test_a_data_field_is_mapped_once_per_mapping(fields):
    rows = [MappingRow(["first_name"], fields["FIRSTNAME"]), MappingRow(["last_name"], fields["LASTNAME"]),
            MappingRow(["company"], fields["FIRSTNAME"]), MappingRow(["city"], fields["POINTS"])]
    assert [str(e) for e in check_mapping(CONTACT, rows)] == [
        "Row 3: The same Data Field can be mapped only one time",
        'Row 4: Mapping for field "POINTS" must be of numeric type']


# -- creating and editing through the admin form ------------------------------------------------------


def test_the_form_shows_every_row_error_and_saves_nothing(admin_client, integration, fields):
    token = token_for(admin_client)
    response = admin_client.post(f"{URL}new/", data=form(token, integration, rows=[
        {"fields": "first_name,last_name", "df": fields["POINTS"].id},
        {"fields": "owner.email", "df": fields["FIRSTNAME"].id, "two_way": True},
        {"fields": "", "df": None},
        {"fields": "city", "df": fields["FIRSTNAME"].id},
        {"fields": "birthday", "df": fields["IS_VIP"].id},
    ]))
    assert response.status_code == 200
    page = text(response)
    for message in ["Row 1: Several entity fields can be mapped only to the Data Field of type string",
                    "Row 2: Two way sync is possible only for a single field of the entity itself",
                    "Row 3: This value should not be blank.",
                    "Row 4: The same Data Field can be mapped only one time",
                    'Row 5: Mapping for field "IS_VIP" must be of boolean type']:
        assert message in page
    assert mapping_count() == 0
    # The submitted rows come back for correcting, each with its own problems beside it.
    assert response.text.count('class="dd-map-row table-danger"') == 5
    assert '<option value="owner.email" selected>' in response.text


def test_a_valid_mapping_is_saved_with_its_rows(admin_client, integration, fields):
    token = token_for(admin_client)
    response = admin_client.post(f"{URL}new/", data=form(token, integration, rows=[
        {"fields": "first_name", "df": fields["FIRSTNAME"].id, "two_way": True},
        {"fields": "first_name,last_name", "df": fields["FULLNAME"].id},
        {"fields": "birthday", "df": fields["BIRTHDAY"].id},
    ]))
    assert response.status_code == 302, text(response)
    mapping = db.session.execute(db.select(M.DataFieldMapping)).scalar_one()
    assert (mapping.integration_id, mapping.entity, mapping.sync_priority) == (integration.id, "Contact", 5)
    assert [row[1:] for row in stored_rows(mapping.id)] == [
        ("FIRSTNAME", "first_name", True), ("FULLNAME", "first_name,last_name", False),
        ("BIRTHDAY", "birthday", False)]
    grid = admin_client.get(URL).text
    assert re.search(r'<td class="col-entity">\s*Contact\s*</td>', grid)
    assert re.search(r'<td class="col-rows">\s*3\s*</td>', grid)
    assert re.search(r'<td class="col-integration">\s*Main account\s*</td>', grid)


def test_blank_fields_are_refused_with_oros_message(admin_client, integration, fields):
    token = token_for(admin_client)
    response = admin_client.post(f"{URL}new/", data={"csrf_token": token, "integration_id": "",
                                                     "entity": "", "sync_priority": "",
                                                     "config_source": ""})
    assert response.status_code == 200
    assert text(response).count("This value should not be blank.") == 2
    assert mapping_count() == 0


def test_one_mapping_per_entity_and_integration(admin_client, integration, fields):
    token = token_for(admin_client)
    row = {"fields": "first_name", "df": fields["FIRSTNAME"].id}
    assert admin_client.post(f"{URL}new/", data=form(token, integration, rows=[row])).status_code == 302
    again = admin_client.post(f"{URL}new/", data=form(token, integration, rows=[row]))
    assert again.status_code == 200
    assert "Mapping for this entity already exists in this dotdigital integration" in text(again)
    assert mapping_count() == 1
    lead = admin_client.post(f"{URL}new/", data=form(token, integration, entity="Lead", rows=[
        {"fields": "name", "df": fields["FULLNAME"].id}]))
    assert lead.status_code == 302
    other = new_integration("Second account")
    other_fields = make_fields(other)
    response = admin_client.post(f"{URL}new/", data=form(token, other, rows=[
        {"fields": "first_name", "df": other_fields["FIRSTNAME"].id}]))
    assert response.status_code == 302
    assert mapping_count() == 3


def test_a_data_field_of_another_integration_is_refused(admin_client, integration, fields):
    other_fields = make_fields(new_integration("Second account"))
    token = token_for(admin_client)
    response = admin_client.post(f"{URL}new/", data=form(token, integration, rows=[
        {"fields": "first_name", "df": other_fields["FIRSTNAME"].id}]))
    assert "Row 1: This value should not be blank." in text(response)
    assert mapping_count() == 0


def test_a_broken_config_source_is_refused(admin_client, integration, fields):
    token = token_for(admin_client)
    data = form(token, integration)
    data["config_source"] = '{"mapping": "nope"'
    response = admin_client.post(f"{URL}new/", data=data)
    assert "The mapping configuration could not be read" in text(response)
    assert mapping_count() == 0


def saved_mapping(integration, fields, entity="Contact"):
    mapping = M.DataFieldMapping(integration_id=integration.id, entity=entity, sync_priority=1)
    mapping.configs = [
        M.DataFieldMappingConfig(entity_fields="first_name", data_field_id=fields["FIRSTNAME"].id),
        M.DataFieldMappingConfig(entity_fields="last_name", data_field_id=fields["LASTNAME"].id),
        M.DataFieldMappingConfig(entity_fields="company", data_field_id=fields["FULLNAME"].id),
    ]
    add(mapping)
    db.session.commit()
    return mapping


def test_the_edit_page_shows_the_stored_rows_without_javascript(admin_client, integration, fields):
    mapping = saved_mapping(integration, fields)
    page = admin_client.get(f"{URL}edit/?id={mapping.id}")
    assert page.status_code == 200
    rows = re.findall(r'<tr class="dd-map-row" data-id="(\d+)">', page.text)
    assert rows == [str(row[0]) for row in stored_rows(mapping.id)]
    assert '<option value="last_name" selected>' in page.text
    assert re.search(rf'<option value="{fields["LASTNAME"].id}" selected>\s*LASTNAME \(String\)', page.text)
    assert "Birthday (datetime)" in page.text and "Owner → Email (string)" in page.text
    hidden = re.search(r'name="config_source"[^>]*value="([^"]*)"', page.text) or re.search(
        r'value="([^"]*)"[^>]*name="config_source"', page.text)
    assert json.loads(html.unescape(hidden.group(1)))["mapping"][0]["entityFields"] == "first_name"
    assert "Changing the entity erases the mapping configuration." in page.text


def test_editing_merges_rows_by_id_then_by_data_field(admin_client, integration, fields):
    mapping = saved_mapping(integration, fields)
    first, last, full = (row[0] for row in stored_rows(mapping.id))
    token = token_for(admin_client, f"{URL}edit/?id={mapping.id}")
    response = admin_client.post(f"{URL}edit/?id={mapping.id}", data=form(token, integration, rows=[
        {"id": first, "fields": "company", "df": fields["FIRSTNAME"].id},  # same row, new field
        {"fields": "last_name", "df": fields["LASTNAME"].id, "two_way": True},  # no id: its data field's
        {"id": full, "fields": "birthday", "df": fields["BIRTHDAY"].id},  # same row, new data field
        {"fields": "id", "df": fields["POINTS"].id},  # new
    ]))
    assert response.status_code == 302, text(response)
    assert stored_rows(mapping.id)[:3] == [(first, "FIRSTNAME", "company", False),
                                           (last, "LASTNAME", "last_name", True),
                                           (full, "BIRTHDAY", "birthday", False)]
    assert stored_rows(mapping.id)[3][1:] == ("POINTS", "id", False)
    assert db.session.get(M.DataFieldMapping, mapping.id).sync_priority == 5
    # A row left out is removed.
    response = admin_client.post(f"{URL}edit/?id={mapping.id}", data=form(token, integration, rows=[
        {"id": last, "fields": "last_name", "df": fields["LASTNAME"].id}]))
    assert response.status_code == 302
    assert stored_rows(mapping.id) == [(last, "LASTNAME", "last_name", False)]


def test_editing_may_keep_its_own_entity(admin_client, integration, fields):
    mapping = saved_mapping(integration, fields)
    saved_mapping(integration, fields, entity="Lead")
    token = token_for(admin_client, f"{URL}edit/?id={mapping.id}")
    response = admin_client.post(f"{URL}edit/?id={mapping.id}", data=form(token, integration, rows=[
        {"fields": "first_name", "df": fields["FIRSTNAME"].id}]))
    assert response.status_code == 302
    moved = admin_client.post(f"{URL}edit/?id={mapping.id}", data=form(token, integration, entity="Lead",
                                                                        rows=[]))
    assert "Mapping for this entity already exists in this dotdigital integration" in text(moved)


def test_saving_needs_the_forms_csrf_token(admin_client, integration, fields):
    data = form("forged", integration, rows=[{"fields": "first_name", "df": fields["FIRSTNAME"].id}])
    response = admin_client.post(f"{URL}new/", data=data)
    assert response.status_code == 200
    assert "The form has expired or did not come from this page" in text(response)
    assert mapping_count() == 0
    mapping = saved_mapping(integration, fields)
    admin_client.post(f"{URL}delete/", data={"id": str(mapping.id)})
    db.session.expire_all()
    assert db.session.get(M.DataFieldMapping, mapping.id) is not None


def test_delete_removes_the_mapping_and_its_rows(admin_client, integration, fields):
    mapping = saved_mapping(integration, fields)
    token = token_for(admin_client, URL)
    response = admin_client.post(f"{URL}delete/", data={"csrf_token": token, "id": str(mapping.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert mapping_count() == 0
    assert db.session.scalar(db.select(func.count()).select_from(M.DataFieldMappingConfig)) == 0


def test_the_grid_filters_by_entity_and_sorts_by_it(admin_client, integration, fields):
    saved_mapping(integration, fields, entity="Lead")
    saved_mapping(integration, fields, entity="Contact")
    grid = admin_client.get(URL).text
    assert re.findall(r'<td class="col-entity">\s*(\w+)\s*</td>', grid) == ["Contact", "Lead"]
    filtered = admin_client.get(f"{URL}?flt0_entity_equals=Lead").text
    assert re.findall(r'<td class="col-entity">\s*(\w+)\s*</td>', filtered) == ["Lead"]


# -- the editor's choices ----------------------------------------------------------------------------


def test_fields_endpoint_lists_the_entitys_fields_and_the_integrations_data_fields(
        admin_client, integration, fields):
    make_fields(new_integration("Second account"))
    answer = admin_client.get(f"{URL}fields?entity=Contact&integration={integration.id}").json
    by_path = {f["path"]: f for f in answer["fields"]}
    assert by_path["birthday"] == {"path": "birthday", "label": "Birthday", "type": "datetime",
                                   "direct": True}
    assert by_path["owner.email"]["label"] == "Owner → Email"
    assert by_path["owner.email"]["direct"] is False
    assert by_path["owner.is_admin"]["type"] == "boolean"
    assert "owner.password_hash" not in by_path
    assert [(d["id"], d["name"], d["type"]) for d in answer["dataFields"]] == sorted(
        ((f.id, f.name, FIELD_TYPES[f.name]) for f in fields.values()), key=lambda d: d[1])
    lead = admin_client.get(f"{URL}fields?entity=Lead").json
    assert "name" in {f["path"] for f in lead["fields"]} and lead["dataFields"] == []
    assert admin_client.get(f"{URL}fields?entity=Nope").status_code == 404


def test_access_anonymous_users_log_in_and_others_get_403(app, user_client, integration, fields):
    mapping = saved_mapping(integration, fields)
    urls = [URL, f"{URL}new/", f"{URL}edit/?id={mapping.id}", f"{URL}fields?entity=Contact"]
    anonymous = app.test_client()
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url
        assert user_client.get(url).status_code == 403, url
    token = csrf_token(user_client.get("/admin/").text)
    user_client.post(f"{URL}delete/", data={"csrf_token": token, "id": str(mapping.id)})
    assert db.session.get(M.DataFieldMapping, mapping.id) is not None
    assert URL not in user_client.get("/admin/").text


def test_the_menu_entry_appears_once_an_integration_exists(app, admin_client):
    assert URL not in admin_client.get("/admin/").text
    new_integration()
    assert "Data Field Mappings</a>" in admin_client.get("/admin/").text


# -- default mappings -------------------------------------------------------------------------------


def test_the_first_data_field_sync_creates_the_name_mappings(app, sandbox):
    sandbox.control(generate={"contacts": 50, "seed": 1})
    integration = make_integration()

    def sync():
        run = M.SyncRun(integration_id=integration.id, requested_connectors="datafield", trigger="test")
        add(run)
        db.session.commit()
        assert str(run_sync(run.id).status) == "success"

    sync()
    db.session.expire_all()
    found = db.session.execute(db.select(M.DataFieldMapping).order_by(M.DataFieldMapping.entity)).scalars()
    assert [(m.entity, m.sync_priority) for m in found] == [("Contact", 20), ("Lead", 10)]
    contact, lead = db.session.execute(db.select(M.DataFieldMapping.id)
                                       .order_by(M.DataFieldMapping.entity)).scalars()
    assert [row[1:] for row in stored_rows(contact)] == [
        ("FIRSTNAME", "first_name", False), ("LASTNAME", "last_name", False),
        ("FULLNAME", "first_name,last_name", False)]
    assert [row[1:] for row in stored_rows(lead)] == [("FULLNAME", "name", False)]
    before = stored_rows(contact) + stored_rows(lead)
    # Later syncs leave the mappings alone, also when someone removed one of them.
    db.session.delete(db.session.get(M.DataFieldMapping, lead))
    db.session.commit()
    sync()
    assert mapping_count() == 1
    assert stored_rows(contact) == before[:3]


def test_default_mappings_use_only_the_data_fields_that_exist(integration):
    add(M.DataField(integration_id=integration.id, name="FIRSTNAME", type="String", visibility="Public"))
    assert mappings.create_default_mappings(db, M, dotdigital.sources, integration.id) == 1
    db.session.commit()
    mapping = db.session.execute(db.select(M.DataFieldMapping)).scalar_one()
    assert mapping.entity == "Contact"
    assert [row[1:] for row in stored_rows(mapping.id)] == [("FIRSTNAME", "first_name", False)]
    make_rest = [M.DataField(integration_id=integration.id, name=name, type="String", visibility="Public")
                 for name in ("LASTNAME", "FULLNAME")]
    add(*make_rest)
    assert mappings.create_default_mappings(db, M, dotdigital.sources, integration.id) == 1  # Lead only
    assert mappings.create_default_mappings(db, M, dotdigital.sources, integration.id) == 0
    db.session.commit()
    assert mapping_count() == 2


# -- members sent again -----------------------------------------------------------------------------


@pytest.fixture
def members(integration):
    """Two Contact members and one Lead member here, one Contact member in another integration."""
    other = new_integration("Second account")
    found = {}
    for key, owner, item_class in [("contact1", integration, "Contact"), ("contact2", integration, "Contact"),
                                   ("lead", integration, "Lead"), ("elsewhere", other, "Contact")]:
        book = add(M.AddressBook(integration_id=owner.id, name=f"Book {key}"))
        person = add(M.Contact(integration_id=owner.id, email=f"{key}@example.com"))
        found[key] = add(M.AddressBookContact(integration_id=owner.id, address_book_id=book.id,
                                              contact_id=person.id, marketing_list_item_class=item_class,
                                              marketing_list_item_id=1, entity_updated=False))
    db.session.commit()
    return found


def updated(members):
    db.session.expire_all()
    return {key for key, member in members.items()
            if db.session.get(M.AddressBookContact, member.id).entity_updated}


def reset(members):
    for member in members.values():
        db.session.get(M.AddressBookContact, member.id).entity_updated = False
    db.session.commit()


def test_mark_for_reexport_flags_one_source_of_one_integration(integration, members):
    assert mappings.mark_for_reexport(db, M, integration.id, "Contact") == 2
    db.session.commit()
    assert updated(members) == {"contact1", "contact2"}


def test_mapping_changes_send_the_sources_members_again(admin_client, integration, fields, members):
    token = token_for(admin_client)
    rows = [{"fields": "first_name", "df": fields["FIRSTNAME"].id}]
    assert admin_client.post(f"{URL}new/", data=form(token, integration, rows=rows)).status_code == 302
    assert updated(members) == {"contact1", "contact2"}
    mapping = db.session.execute(db.select(M.DataFieldMapping)).scalar_one()
    row_id = stored_rows(mapping.id)[0][0]
    edit = f"{URL}edit/?id={mapping.id}"

    reset(members)  # switching two-way sync on, or the priority, changes no exported value
    admin_client.post(edit, data=form(token, integration, priority="9", rows=[
        {"id": row_id, "fields": "first_name", "df": fields["FIRSTNAME"].id, "two_way": True}]))
    assert stored_rows(mapping.id)[0][3] is True
    assert updated(members) == set()

    admin_client.post(edit, data=form(token, integration, rows=[
        {"id": row_id, "fields": "company", "df": fields["FIRSTNAME"].id}]))
    assert updated(members) == {"contact1", "contact2"}

    reset(members)
    admin_client.post(edit, data=form(token, integration, rows=[
        {"id": row_id, "fields": "company", "df": fields["FIRSTNAME"].id},
        {"fields": "last_name", "df": fields["LASTNAME"].id}]))
    assert updated(members) == {"contact1", "contact2"}

    reset(members)
    admin_client.post(edit, data=form(token, integration, entity="Lead", rows=[
        {"fields": "name", "df": fields["FULLNAME"].id}]))
    assert updated(members) == {"contact1", "contact2", "lead"}  # the old entity lost its mapping

    reset(members)
    admin_client.post(f"{URL}delete/", data={"csrf_token": token, "id": str(mapping.id)})
    assert mapping_count() == 0
    assert updated(members) == {"lead"}


def test_default_mappings_do_not_send_anybody_again(integration, fields, members):
    assert mappings.create_default_mappings(db, M, dotdigital.sources, integration.id) == 2
    db.session.commit()
    assert updated(members) == set()


# -- the editor in a real browser ------------------------------------------------------------------


@needs_chromium
def test_an_admin_builds_a_mapping_in_the_editor(app, integration, fields):
    with live_server(app) as base_url, browser_page() as page:
        log_in(page, base_url)
        page.goto(f"{base_url}{URL}new/")
        assert page.locator("#integration_id").input_value() == str(integration.id)  # the only one

        with page.expect_response(lambda r: "/fields?" in r.url):
            page.select_option("#entity", "Contact")
        page.click("#dd-mapping-add")
        page.click("#dd-mapping-add")
        rows = page.locator("#dd-mapping tbody tr")
        assert rows.count() == 2
        rows.nth(0).locator(".dd-map-fields").select_option(["first_name", "last_name"])
        rows.nth(0).locator(".dd-map-datafield").select_option(label="FULLNAME (String)")
        rows.nth(1).locator(".dd-map-fields").select_option("first_name")
        rows.nth(1).locator(".dd-map-datafield").select_option(label="POINTS (Numeric)")

        # Changing the entity asks first; saying no keeps the entity and the rows.
        page.once("dialog", lambda dialog: dialog.dismiss())
        page.select_option("#entity", "Lead")
        assert page.locator("#entity").input_value() == "Contact"
        assert rows.count() == 2

        page.get_by_role("button", name="Save and Close").click()
        page.locator("#dd-mapping-errors").wait_for()
        assert 'Row 2: Mapping for field "POINTS" must be of numeric type' in page.locator(
            "#dd-mapping-errors").inner_text()
        assert mapping_count() == 0

        rows.nth(1).locator(".dd-map-datafield").select_option(label="FIRSTNAME (String)")
        rows.nth(1).locator(".dd-map-twoway").check()
        page.get_by_role("button", name="Save and Close").click()
        page.wait_for_url(f"{base_url}{URL}")
        mapping = db.session.execute(db.select(M.DataFieldMapping)).scalar_one()
        assert [row[1:] for row in stored_rows(mapping.id)] == [
            ("FULLNAME", "first_name,last_name", False), ("FIRSTNAME", "first_name", True)]

        # Editing: remove a row; agreeing to change the entity starts from an empty editor.
        page.goto(f"{base_url}{URL}edit/?id={mapping.id}")
        assert rows.count() == 2
        rows.nth(0).locator(".dd-map-remove").click()
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_url(f"{base_url}{URL}edit/**")
        assert [row[1:] for row in stored_rows(mapping.id)] == [("FIRSTNAME", "first_name", True)]
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_response(lambda r: "/fields?" in r.url):
            page.select_option("#entity", "Lead")
        assert rows.count() == 0
        page.click("#dd-mapping-add")
        assert "Name (string)" in rows.nth(0).locator(".dd-map-fields").inner_text()
