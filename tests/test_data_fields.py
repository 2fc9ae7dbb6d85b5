"""Marketing → dotdigital → Data Fields against the real sandbox: create, edit notes, delete, Synchronize.

Dotdigital is asked first every time, so each test checks both sides: the sandbox's own data
(``sandbox.state()``) and the local rows.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from example_app.models import db
from flask_dotdigital.admin.data_fields import EDIT_NOTE

from .browser import browser_page, live_server, log_in, needs_chromium
from .conftest import csrf_token
from .syncing import make_integration, models

URL = "/admin/dotdigital/data-fields/"
NEW = f"{URL}new/"
DataField = models.DataField


@pytest.fixture
def integration(app: Any, sandbox: Any) -> Any:
    return make_integration()


def remote(sandbox: Any) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in sandbox.state()["data"]["data_fields"]}


def local() -> dict[str, Any]:
    db.session.expire_all()
    return {f.name: f for f in db.session.execute(db.select(DataField)).scalars()}


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", html))


def create(client: Any, integration: Any, **fields: str) -> Any:
    """Post the Create form as a browser would, every default-value input included."""
    data = {"csrf_token": csrf_token(client.get(NEW).text), "integration_id": str(integration.id),
            "name": "LOYALTY_TIER", "type": "String", "visibility": "Private", "default_string": "",
            "default_numeric": "", "default_date": "", "default_boolean": "", "notes": ""}
    data.update(fields)
    return client.post(NEW, data=data)


def add_local(integration: Any, name: str, **values: Any) -> Any:
    row = DataField(integration_id=integration.id, name=name, type=values.pop("type", "String"),
                    visibility=values.pop("visibility", "Public"), **values)
    db.session.add(row)
    db.session.commit()
    return row


def delete(client: Any, row_id: int, token: str | None = None) -> Any:
    token = token if token is not None else csrf_token(client.get(URL).text)
    return client.post(f"{URL}delete/", data={"id": str(row_id), "csrf_token": token,
                                              "url": URL}, follow_redirects=True)


# -- create ---------------------------------------------------------------------------------------


def test_a_created_field_exists_in_dotdigital_and_here(admin_client, sandbox, integration):
    response = create(admin_client, integration, name="loyalty_tier", visibility="Public",
                      default_string="Bronze", notes="Set by the points job")
    assert response.status_code == 302, text(response.text)
    # Dotdigital upper-cases the name; the row keeps Dotdigital's spelling.
    assert remote(sandbox)["LOYALTY_TIER"] == {"name": "LOYALTY_TIER", "type": "String",
                                                "visibility": "Public", "defaultValue": "Bronze",
                                                "inUse": None}
    row = local()["LOYALTY_TIER"]
    assert (row.integration_id, row.type, row.visibility, row.default_value, row.notes) == (
        integration.id, "String", "Public", "Bronze", "Set by the points job")
    grid = text(admin_client.get(URL).text)
    assert "LOYALTY_TIER" in grid and "Bronze" in grid and "Set by the points job" in grid


@pytest.mark.parametrize(("kind", "field", "typed", "sent", "stored"), [
    ("Numeric", "default_numeric", "42", 42, "42"),
    ("Numeric", "default_numeric", "2.5", 2.5, "2.5"),
    ("Date", "default_date", "2024-05-01", "2024-05-01T00:00:00", "2024-05-01"),
    ("Boolean", "default_boolean", "Yes", True, "Yes"),
    ("Boolean", "default_boolean", "No", False, "No"),
])
def test_typed_defaults_are_sent_in_their_type_and_stored_as_oro_does(
        admin_client, sandbox, integration, kind, field, typed, sent, stored):
    # The other inputs carry junk, as they might after switching Type: only the chosen one is read.
    junk = {"default_string": "junk", "default_numeric": "7", "default_date": "1999-01-01",
            "default_boolean": "No"}
    response = create(admin_client, integration, name="TYPED", type=kind, **{**junk, field: typed})
    assert response.status_code == 302, text(response.text)
    assert remote(sandbox)["TYPED"]["defaultValue"] == sent
    assert remote(sandbox)["TYPED"]["type"] == kind
    assert (local()["TYPED"].type, local()["TYPED"].default_value) == (kind, stored)


def test_a_blank_default_is_no_default(admin_client, sandbox, integration):
    assert create(admin_client, integration, name="EMPTY", type="Numeric").status_code == 302
    assert remote(sandbox)["EMPTY"]["defaultValue"] is None
    assert local()["EMPTY"].default_value is None


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": ""}, "This value should not be blank."),
    ({"name": "A" * 21}, "This value is too long. It should have 20 characters or less."),
    ({"name": "first name"}, "Must consist of alphanumeric characters only, with hyphens and "
                             "underscores if required"),
    ({"name": "café"}, "Must consist of alphanumeric characters only"),
    ({"type": "Numeric", "default_numeric": "ten"}, "Default value must be numeric."),
    ({"type": "Numeric", "default_numeric": "nan"}, "Default value must be numeric."),
    ({"type": "Date", "default_date": "2024-02-30"}, "Default value doesn't match the field's type."),
    ({"type": "Date", "default_date": "tomorrow"}, "Default value doesn't match the field's type."),
])
def test_local_validation_refuses_before_asking_dotdigital(admin_client, sandbox, integration,
                                                           fields, message):
    response = create(admin_client, integration, **fields)
    assert response.status_code == 200
    assert message in text(response.text)
    assert not any(c["method"] == "POST" for c in sandbox.state()["calls"])
    assert remote(sandbox) == {} and local() == {}


def test_a_name_taken_in_this_integration_is_refused_whatever_its_case(admin_client, sandbox,
                                                                      integration):
    add_local(integration, "LOYALTY_TIER")
    response = create(admin_client, integration, name="Loyalty_Tier")
    assert "Field with such name already exists in this dotdigital integration" in text(response.text)
    assert remote(sandbox) == {}
    # Another integration may have a field of the same name.
    other = make_integration(name="Second account")
    assert create(admin_client, other, name="loyalty_tier").status_code == 302
    found = db.session.execute(db.select(DataField.integration_id, DataField.name)).all()
    assert sorted(tuple(row) for row in found) == [(integration.id, "LOYALTY_TIER"),
                                                   (other.id, "LOYALTY_TIER")]


def test_dotdigitals_own_refusal_is_shown_and_nothing_is_saved(admin_client, sandbox, integration):
    assert create(admin_client, integration, name="TIER").status_code == 302
    db.session.execute(db.delete(DataField))  # known in Dotdigital, unknown here
    db.session.commit()
    response = create(admin_client, integration, name="TIER", notes="second try")
    assert response.status_code == 200
    assert "Failed to create field in dotdigital: Field already exists. ERROR_NON_UNIQUE_DATAFIELD" in (
        text(response.text))
    assert local() == {}


def test_an_unreachable_dotdigital_is_a_form_error_not_a_500(admin_client, sandbox, integration):
    integration.api_endpoint = "http://127.0.0.1:9"  # nothing listens on the discard port
    db.session.commit()
    response = create(admin_client, integration, name="TIER")
    assert response.status_code == 200
    assert "Unable to connect to dotdigital: " in text(response.text)
    assert local() == {}


def test_the_create_page_has_one_default_input_per_type_and_the_switching_script(admin_client,
                                                                               integration):
    page = admin_client.get(NEW).text
    assert re.search(r'data-type="String">\s*<div class="form-group', page)  # shown for String
    for kind in ("Numeric", "Date", "Boolean"):
        assert f'data-type="{kind}" hidden>' in page
    assert 'type="number"' in page and 'type="date"' in page
    assert re.search(r'<select[^>]*name="default_boolean"', page)
    assert "dd-default-value" in page and "addEventListener('change'" in page
    assert "<script src=" not in page.split('id="type"')[1]  # inline, no CDN
    # A form sent back with errors keeps the chosen type's input on show.
    response = create(admin_client, integration, type="Date", default_date="nope")
    assert 'data-type="Date">' in response.text and 'data-type="String" hidden>' in response.text


# -- edit -----------------------------------------------------------------------------------------


def test_edit_changes_only_the_notes(admin_client, sandbox, integration):
    response = create(admin_client, integration, name="TIER", type="Numeric", default_numeric="3")
    assert response.status_code == 302
    row = local()["TIER"]
    page = admin_client.get(f"{URL}edit/?id={row.id}").text
    assert EDIT_NOTE in text(page)
    assert 'name="name"' not in page and 'name="type"' not in page
    response = admin_client.post(f"{URL}edit/?id={row.id}", data={
        "csrf_token": csrf_token(page), "notes": "Customer tier", "name": "HACKED", "type": "Boolean",
        "visibility": "Public", "default_value": "Yes", "integration_id": "999"})
    assert response.status_code == 302
    row = local()["TIER"]
    assert (row.name, row.type, row.visibility, row.default_value, row.integration_id, row.notes) == (
        "TIER", "Numeric", "Private", "3", integration.id, "Customer tier")
    assert remote(sandbox)["TIER"]["type"] == "Numeric"


def test_the_details_page_shows_every_value(admin_client, integration):
    row = add_local(integration, "IS_VIP", type="Boolean", default_value="No", notes="VIP flag")
    page = text(admin_client.get(f"{URL}details/?id={row.id}").text)
    for value in ("Main account", "IS_VIP", "Boolean", "Public", "No", "VIP flag"):
        assert value in page


# -- delete ---------------------------------------------------------------------------------------


def test_deleting_a_field_removes_it_from_dotdigital_and_here(admin_client, sandbox, integration):
    assert create(admin_client, integration, name="TIER").status_code == 302
    response = delete(admin_client, local()["TIER"].id)
    assert "Record was successfully deleted." in response.text
    assert "TIER" not in remote(sandbox) and local() == {}


@pytest.mark.parametrize(("name", "dependencies", "reason"), [
    ("FIRSTNAME", None, "The field cannot be removed. It is in use elsewhere in the system. (System field)"),
    ("TIER", ["Used in program 12345"],
     "The field cannot be removed. It is in use elsewhere in the system. (Used in program 12345)"),
])
def test_a_field_dotdigital_will_not_delete_is_kept_with_the_reason(admin_client, sandbox, integration,
                                                                   name, dependencies, reason):
    assert create(admin_client, integration, name=name).status_code == 302
    if dependencies:
        sandbox.control(data_field_in_use={"name": name, "dependencies": dependencies})
    response = delete(admin_client, local()[name].id)
    page = text(response.text)
    assert reason in page
    assert "successfully deleted" not in page
    assert name in remote(sandbox) and name in local()


def test_a_field_already_gone_from_dotdigital_is_deleted_here(admin_client, sandbox, integration):
    row = add_local(integration, "OLD_FIELD")
    assert "Record was successfully deleted." in delete(admin_client, row.id).text
    assert local() == {}


def test_delete_with_dotdigital_unreachable_keeps_the_row(admin_client, integration):
    row = add_local(integration, "TIER")
    integration.api_endpoint = "http://127.0.0.1:9"
    db.session.commit()
    assert "Unable to connect to dotdigital: " in text(delete(admin_client, row.id).text)
    assert "TIER" in local()


def test_bulk_delete_is_not_offered(admin_client, integration):
    add_local(integration, "TIER")
    page = admin_client.get(URL).text
    assert "action-rowtoggle" not in page
    response = admin_client.post(f"{URL}action/", data={
        "csrf_token": csrf_token(page), "action": "delete", "rowid": [str(local()["TIER"].id)]},
        follow_redirects=True)
    assert response.status_code == 200
    assert "TIER" in local()


# -- Synchronize ----------------------------------------------------------------------------------


def test_synchronize_queues_a_data_field_run_for_every_enabled_integration(admin_client, integration):
    second = make_integration(name="Second account")
    disabled = make_integration(name="Old account")
    disabled.enabled = False
    db.session.commit()
    page = admin_client.get(URL).text
    assert "Create dotdigital Data Field" in page and ">Synchronize</button>" in page
    response = admin_client.post(f"{URL}synchronize/", data={"csrf_token": csrf_token(page)},
                                 follow_redirects=True)
    assert "Data fields scheduled to synchronize with dotdigital" in response.text
    db.session.expire_all()
    runs = db.session.execute(db.select(models.SyncRun)).scalars().all()
    assert sorted((r.integration_id, r.requested_connectors) for r in runs) == [
        (integration.id, "datafield"), (second.id, "datafield")]


# -- CSRF and access ------------------------------------------------------------------------------


def test_create_delete_and_synchronize_need_the_csrf_token(admin_client, sandbox, integration):
    response = create(admin_client, integration, csrf_token="forged")
    assert response.status_code == 200 and remote(sandbox) == {} and local() == {}
    row = add_local(integration, "TIER")
    delete(admin_client, row.id, token="forged")
    assert "TIER" in local()
    response = admin_client.post(f"{URL}synchronize/", data={"csrf_token": "forged"},
                                 follow_redirects=True)
    assert "nothing was scheduled" in response.text
    assert admin_client.post(f"{URL}synchronize/", data={}).status_code == 302
    assert db.session.execute(db.select(models.SyncRun)).first() is None
    assert not any(c["method"] in ("POST", "DELETE") for c in sandbox.state()["calls"])


PAGES = [URL, NEW, f"{URL}edit/?id=1", f"{URL}details/?id=1"]


def test_anonymous_users_are_sent_to_log_in(app, integration):
    client = app.test_client()
    add_local(integration, "TIER")
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url
    response = client.post(f"{URL}synchronize/")
    assert response.headers["Location"].startswith("/login?next=")


def test_users_without_permission_get_403(user_client, integration):
    add_local(integration, "TIER")
    for url in PAGES:
        assert user_client.get(url).status_code == 403, url
    for url in (f"{URL}synchronize/", f"{URL}delete/", NEW):
        assert user_client.post(url, data={"id": "1"}).status_code == 403, url
    assert URL not in user_client.get("/admin/").text
    assert "TIER" in local()


def test_the_permission_hook_decides_per_action(app, admin_client, integration):
    ext = app.extensions["dotdigital"].ext
    default = ext.permission
    ext.permission = lambda user, action, resource: resource != "data_field" or action == "view"
    try:
        page = admin_client.get(URL).text
        assert "Create dotdigital Data Field" not in page and ">Synchronize<" not in page
        assert admin_client.post(f"{URL}synchronize/", data={}).status_code == 403
        assert admin_client.get(NEW).status_code == 403
    finally:
        ext.permission = default


def test_the_menu_entry_appears_once_an_integration_exists(app, admin_client):
    assert URL not in admin_client.get("/admin/").text
    make_integration()
    menu = admin_client.get("/admin/").text
    assert URL in menu and "Data Fields</a>" in menu


# -- in a browser ---------------------------------------------------------------------------------


@needs_chromium
def test_the_default_value_input_follows_the_type_in_a_browser(app, sandbox, integration):
    with live_server(app) as base_url, browser_page() as page:
        log_in(page, base_url)
        page.goto(f"{base_url}{URL}")
        page.get_by_role("link", name="Create dotdigital Data Field").click()
        page.wait_for_url(f"{base_url}{NEW}**")
        assert page.is_visible("#default_string") and not page.is_visible("#default_boolean")
        page.select_option("#type", "Date")
        assert page.is_visible("#default_date") and not page.is_visible("#default_string")
        assert page.get_attribute("#default_date", "type") == "date"
        page.select_option("#type", "Boolean")
        assert page.is_visible("#default_boolean") and not page.is_visible("#default_date")
        assert page.is_disabled("#default_string")  # hidden inputs are not posted
        page.fill("#name", "is_member")
        page.select_option("#default_boolean", "Yes")
        page.get_by_role("button", name="Save and Close").click()
        page.wait_for_url(f"{base_url}{URL}**")
        assert "IS_MEMBER" in page.inner_text("table.model-list")
    assert remote(sandbox)["IS_MEMBER"]["defaultValue"] is True
    assert (local()["IS_MEMBER"].type, local()["IS_MEMBER"].default_value) == ("Boolean", "Yes")
