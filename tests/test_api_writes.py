"""The client's write calls against the sandbox over loopback: creating address books and data
fields, deleting data fields, and the errors Dotdigital answers them with (§3.3, §3.5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from flask_dotdigital.api.address_books import create_address_book
from flask_dotdigital.api.data_fields import create_data_field, data_fields, delete_data_field
from flask_dotdigital.errors import ApiError, NotFound

from .test_api_client import api_calls, make_client

IN_USE = "The field cannot be removed. It is in use elsewhere in the system."


@pytest.fixture
def client(sandbox):
    sandbox.control(generate={"contacts": 20, "seed": 1})
    client = make_client(sandbox)
    client.discover()
    return client


def fields_by_name(client):
    return {f["name"]: f for f in data_fields(client)}


# -- address books --------------------------------------------------------------------------
def test_create_address_book_returns_the_new_book(client, sandbox):
    book = create_address_book(client, "Spring leads")
    assert book == {"id": 104, "name": "Spring leads", "visibility": "Private", "contacts": 0}
    public = create_address_book(client, "Webinar", visibility="Public")
    assert (public["id"], public["visibility"]) == (105, "Public")
    names = [b["name"] for b in sandbox.state()["data"]["address_books"]]
    assert names[-2:] == ["Spring leads", "Webinar"]
    assert api_calls(sandbox)[-2:] == [("POST", "/r2/v2/address-books", 201)] * 2


@pytest.mark.parametrize(
    ("name", "visibility", "code", "message"),
    [
        ("newsletter", "Private", "ERROR_ADDRESSBOOK_DUPLICATE",
         "That name is in use already, please choose another. ERROR_ADDRESSBOOK_DUPLICATE"),
        ("All Contacts", "Private", "ERROR_ADDRESSBOOK_RESERVED",
         "That name is reserved, please choose another. ERROR_ADDRESSBOOK_RESERVED"),
        ("x" * 129, "Private", "ERROR_PARAMETER_INVALID",
         "The address book name must be 128 characters or less. ERROR_PARAMETER_INVALID"),
        ("  ", "Private", "ERROR_PARAMETER_INVALID", "Name is required. ERROR_PARAMETER_INVALID"),
        ("Fresh", "Secret", "ERROR_PARAMETER_INVALID", "Error: ERROR_PARAMETER_INVALID"),
    ],
)
def test_create_address_book_errors(client, sandbox, name, visibility, code, message):
    with pytest.raises(ApiError) as caught:
        create_address_book(client, name, visibility)
    assert (caught.value.status, caught.value.code, caught.value.message) == (400, code, message)
    assert len(sandbox.state()["data"]["address_books"]) == 3
    assert api_calls(sandbox)[-1] == ("POST", "/r2/v2/address-books", 400)  # sent once, not retried


# -- creating data fields -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "given", "stored"),
    [
        ("Numeric", "42", 42),
        ("Numeric", " 2.5 ", 2.5),
        ("Numeric", 7, 7),
        ("Boolean", "Yes", True),
        ("Boolean", "no", False),
        ("Boolean", True, True),
        ("Date", date(2024, 5, 1), "2024-05-01T00:00:00"),
        ("Date", datetime(2024, 5, 1, 10, 30, tzinfo=timezone(timedelta(hours=2))), "2024-05-01T08:30:00"),
        ("Date", datetime(2024, 5, 1, 10, 30, 15, 999, tzinfo=UTC), "2024-05-01T10:30:15"),
        ("Date", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
        ("String", "n/a", "n/a"),
        ("String", None, None),
    ],
)
def test_create_data_field_sends_the_default_in_the_types_json_form(client, kind, given, stored):
    field = create_data_field(client, "new_field", kind, "Public", default_value=given)
    expected = {"name": "NEW_FIELD", "type": kind, "visibility": "Public", "defaultValue": stored}
    assert field == expected
    assert fields_by_name(client)["NEW_FIELD"] == expected


def test_create_data_field_defaults_to_private(client):
    assert create_data_field(client, "NOTES", "String")["visibility"] == "Private"


@pytest.mark.parametrize(
    ("name", "kind", "default", "code", "message"),
    [
        ("firstname", "String", None, "ERROR_NON_UNIQUE_DATAFIELD",
         "Field already exists. ERROR_NON_UNIQUE_DATAFIELD"),
        ("MY FIELD", "String", None, "ERROR_PARAMETER_INVALID",
         "Data field names must be 1 to 20 letters, digits, hyphens or underscores. ERROR_PARAMETER_INVALID"),
        ("A" * 21, "String", None, "ERROR_PARAMETER_INVALID",
         "Data field names must be 1 to 20 letters, digits, hyphens or underscores. ERROR_PARAMETER_INVALID"),
        ("", "String", None, "ERROR_PARAMETER_INVALID", "Name is required. ERROR_PARAMETER_INVALID"),
        ("OK", "Text", None, "ERROR_PARAMETER_INVALID", "Error: ERROR_PARAMETER_INVALID"),
        ("OK", "Date", "01/05/2024", "ERROR_PARAMETER_INVALID",
         "The default value does not match the field type. ERROR_PARAMETER_INVALID"),
        ("OK", "Numeric", "1_000", "ERROR_PARAMETER_INVALID",
         "The default value does not match the field type. ERROR_PARAMETER_INVALID"),
        ("OK", "Boolean", "maybe", "ERROR_PARAMETER_INVALID",
         "The default value does not match the field type. ERROR_PARAMETER_INVALID"),
    ],
)
def test_create_data_field_errors(client, name, kind, default, code, message):
    before = fields_by_name(client)
    with pytest.raises(ApiError) as caught:
        create_data_field(client, name, kind, default_value=default)
    assert (caught.value.status, caught.value.code, caught.value.message) == (400, code, message)
    assert fields_by_name(client) == before


def test_a_201_without_a_body_returns_what_was_sent(client, monkeypatch):
    # SWAG documents POST data-fields as 201 with no body; the sandbox always echoes the field
    # (DOC-DF), so the empty answer is the one thing stubbed here.
    monkeypatch.setattr(client, "request", lambda *args, **kwargs: None)
    field = create_data_field(client, "SHOE_SIZE", "Numeric", default_value="40")
    assert field == {"name": "SHOE_SIZE", "type": "Numeric", "visibility": "Private", "defaultValue": 40}


# -- deleting data fields -------------------------------------------------------------------
def test_delete_data_field_removes_it(client, sandbox):
    assert delete_data_field(client, "loyalty_points") is None
    assert "LOYALTY_POINTS" not in fields_by_name(client)
    assert api_calls(sandbox)[-2] == ("DELETE", "/r2/v2/data-fields/loyalty_points", 200)


def test_delete_unknown_data_field_is_not_found(client, sandbox):
    with pytest.raises(NotFound) as caught:
        delete_data_field(client, "NO SUCH FIELD")
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        404, "ERROR_DATAFIELD_NOT_FOUND", "Error: ERROR_DATAFIELD_NOT_FOUND")
    # The space is quoted into the path, so the name reaches the route rather than a 400/404 page.
    assert sandbox.state()["calls"][-1]["path"] == "/r2/v2/data-fields/NO SUCH FIELD"


def test_delete_system_field_raises_with_the_dependency(client):
    with pytest.raises(ApiError) as caught:
        delete_data_field(client, "FIRSTNAME")
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        200, None, f"{IN_USE} (System field)")
    assert "FIRSTNAME" in fields_by_name(client)


def test_delete_field_in_use_lists_string_and_object_dependencies(client, sandbox):
    sandbox.control(data_field_in_use={"name": "BIRTHDAY"})
    with pytest.raises(ApiError) as caught:
        delete_data_field(client, "BIRTHDAY")
    assert caught.value.message == f"{IN_USE} (Used in program 12345)"
    objects = [{"type": "Program", "objectId": 12345}, {"type": "Survey", "objectId": 7}]
    sandbox.control(data_field_in_use={"name": "BIRTHDAY", "dependencies": ["Used in form 3", *objects]})
    with pytest.raises(ApiError) as caught:
        delete_data_field(client, "BIRTHDAY")
    assert caught.value.message == f"{IN_USE} (Used in form 3; Program 12345; Survey 7)"
    assert "BIRTHDAY" in fields_by_name(client)
    sandbox.control(data_field_in_use={"name": "BIRTHDAY", "dependencies": None})
    delete_data_field(client, "BIRTHDAY")
    assert "BIRTHDAY" not in fields_by_name(client)


def test_a_409_answer_is_an_api_error(client, sandbox):
    # SWAG lists 409 ProblemDetails for this call (§3.5); it arrives through Client.request.
    sandbox.control(fail_next=[{"status": 409}])
    with pytest.raises(ApiError) as caught:
        delete_data_field(client, "IS_VIP")
    assert caught.value.status == 409
    assert "IS_VIP" in fields_by_name(client)
