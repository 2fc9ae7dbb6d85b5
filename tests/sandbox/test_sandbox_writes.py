"""The sandbox's write routes over real loopback HTTP: creating address books and data fields,
deleting data fields (system, in use, free), and the ``data_field_in_use`` control."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from .conftest import AUTH

INVALID = "Error: ERROR_PARAMETER_INVALID"
NAME_REQUIRED = "Name is required. ERROR_PARAMETER_INVALID"
BOOK_TOO_LONG = "The address book name must be 128 characters or less. ERROR_PARAMETER_INVALID"
BOOK_RESERVED = "That name is reserved, please choose another. ERROR_ADDRESSBOOK_RESERVED"
BOOK_DUPLICATE = "That name is in use already, please choose another. ERROR_ADDRESSBOOK_DUPLICATE"
FIELD_NAME_RULE = (
    "Data field names must be 1 to 20 letters, digits, hyphens or underscores. ERROR_PARAMETER_INVALID"
)
DEFAULT_MISMATCH = "The default value does not match the field type. ERROR_PARAMETER_INVALID"
FIELD_EXISTS = "Field already exists. ERROR_NON_UNIQUE_DATAFIELD"


def call(sandbox, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
    return requests.request(method, f"{sandbox.regional_url}{path}", json=body, params=params,
                            auth=AUTH, timeout=10)


def field_names(sandbox) -> list[str]:
    return [f["name"] for f in call(sandbox, "GET", "/v2/data-fields").json()]


def first_contact_fields(sandbox) -> dict[str, Any]:
    rows = call(sandbox, "GET", "/v2/address-books/101/contacts", withFullData="true", select=1).json()
    return {pair["key"]: pair["value"] for pair in rows[0]["dataFields"]}


# -- address books --------------------------------------------------------------------------
def test_create_book_answers_201_with_the_book_and_stores_it(dotdigital_sandbox):
    response = call(dotdigital_sandbox, "POST", "/v2/address-books", {"name": "Spring leads"})
    assert response.status_code == 201
    book = {"id": 101, "name": "Spring leads", "visibility": "Private", "contacts": 0}
    assert response.json() == book
    assert call(dotdigital_sandbox, "GET", "/v2/address-books/101").json() == book
    assert dotdigital_sandbox.state()["data"]["address_books"] == [book]
    first = dotdigital_sandbox.state()["calls"][0]
    assert (first["method"], first["path"], first["status"]) == ("POST", "/r2/v2/address-books", 201)


def test_new_books_continue_the_id_range_and_accept_any_key_and_enum_casing(generated):
    response = call(generated, "POST", "/v2/address-books", {"NAME": "Webinar", "Visibility": "pUBLIC"})
    assert response.status_code == 201
    assert response.json() == {"id": 104, "name": "Webinar", "visibility": "Public", "contacts": 0}
    public = call(generated, "GET", "/v2/address-books/public").json()
    assert "Webinar" in [b["name"] for b in public]
    second = call(generated, "POST", "/v2/address-books", {"name": "x" * 128, "visibility": "private"})
    assert (second.status_code, second.json()["id"], second.json()["visibility"]) == (201, 105, "Private")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, NAME_REQUIRED),
        ({"visibility": "Public"}, NAME_REQUIRED),
        ({"name": "   "}, NAME_REQUIRED),
        ({"name": 7}, NAME_REQUIRED),
        ({"name": "x" * 129}, BOOK_TOO_LONG),
        ({"name": "Test"}, BOOK_RESERVED),
        ({"name": "all CONTACTS"}, BOOK_RESERVED),
        ({"name": "newsletter"}, BOOK_DUPLICATE),  # the generated "Newsletter"
        ({"name": "Fresh", "visibility": "Secret"}, INVALID),
        ({"name": "Fresh", "visibility": 1}, INVALID),
    ],
)
def test_create_book_refusals(generated, body, message):
    response = call(generated, "POST", "/v2/address-books", body)
    assert (response.status_code, response.json()) == (400, {"message": message})
    assert len(generated.state()["data"]["address_books"]) == 3


def test_create_book_without_a_json_body_needs_a_name(dotdigital_sandbox):
    response = requests.post(f"{dotdigital_sandbox.regional_url}/v2/address-books", data="name=x",
                             auth=AUTH, timeout=10)
    assert (response.status_code, response.json()) == (400, {"message": NAME_REQUIRED})


# -- creating data fields -------------------------------------------------------------------
def test_create_field_answers_201_upper_cases_the_name_and_lists_it_last(generated):
    body = {"name": "shoe_size", "type": "numeric", "visibility": "PUBLIC", "defaultValue": "42"}
    response = call(generated, "POST", "/v2/data-fields", body)
    assert response.status_code == 201
    field = {"name": "SHOE_SIZE", "type": "Numeric", "visibility": "Public", "defaultValue": 42}
    assert response.json() == field
    assert call(generated, "GET", "/v2/data-fields").json()[-1] == field
    assert generated.state()["data"]["data_fields"][-1] == {**field, "inUse": None}


def test_create_field_defaults_and_pascal_case_keys(dotdigital_sandbox):
    plain = call(dotdigital_sandbox, "POST", "/v2/data-fields", {"name": "Notes"})
    assert plain.json() == {"name": "NOTES", "type": "String", "visibility": "Private", "defaultValue": None}
    magento = {"Name": "Is-Member", "Type": "Boolean", "Visibility": "public", "DefaultValue": True}
    response = call(dotdigital_sandbox, "POST", "/v2/data-fields", magento)
    assert (response.status_code, response.json()) == (
        201, {"name": "IS-MEMBER", "type": "Boolean", "visibility": "Public", "defaultValue": True})
    assert field_names(dotdigital_sandbox) == ["NOTES", "IS-MEMBER"]


@pytest.mark.parametrize(
    ("kind", "default", "stored"),
    [
        ("Numeric", 2.5, 2.5),
        ("Numeric", "-3", -3),
        ("Numeric", 0, 0),
        ("Date", "2024-05-01", "2024-05-01"),
        ("Date", "2024-05-01T10:20:30", "2024-05-01T10:20:30"),
        ("Date", "2024-05-01T10:20:30.1234567Z", "2024-05-01T10:20:30.1234567Z"),
        ("Boolean", False, False),
        ("String", "n/a", "n/a"),
    ],
)
def test_create_field_accepts_defaults_that_match_the_type(dotdigital_sandbox, kind, default, stored):
    body = {"name": "F1", "type": kind, "defaultValue": default}
    response = call(dotdigital_sandbox, "POST", "/v2/data-fields", body)
    assert response.status_code == 201
    assert response.json()["defaultValue"] == stored


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "String"}, NAME_REQUIRED),
        ({"name": ""}, NAME_REQUIRED),
        ({"name": "A" * 21}, FIELD_NAME_RULE),
        ({"name": "MY FIELD"}, FIELD_NAME_RULE),
        ({"name": "PRICE£"}, FIELD_NAME_RULE),
        ({"name": "OK", "type": "Text"}, INVALID),
        ({"name": "OK", "visibility": "Hidden"}, INVALID),
        ({"name": "OK", "type": "Numeric", "defaultValue": "abc"}, DEFAULT_MISMATCH),
        ({"name": "OK", "type": "Numeric", "defaultValue": True}, DEFAULT_MISMATCH),
        ({"name": "OK", "type": "Numeric", "defaultValue": "1_000"}, DEFAULT_MISMATCH),
        ({"name": "OK", "type": "Numeric", "defaultValue": "NaN"}, DEFAULT_MISMATCH),
        ({"name": "OK", "type": "Numeric", "defaultValue": "1e999"}, DEFAULT_MISMATCH),
        ({"name": "OK", "type": "Date", "defaultValue": "01/05/2024"}, DEFAULT_MISMATCH),
        ({"name": "OK", "type": "Date", "defaultValue": "2024-02-30"}, DEFAULT_MISMATCH),
        ({"name": "OK", "type": "Date", "defaultValue": 20240501}, DEFAULT_MISMATCH),
        ({"name": "OK", "type": "Boolean", "defaultValue": "Yes"}, DEFAULT_MISMATCH),
        ({"name": "OK", "type": "String", "defaultValue": 5}, DEFAULT_MISMATCH),
        ({"name": "firstname"}, FIELD_EXISTS),
        ({"name": "Loyalty_Points", "type": "Numeric"}, FIELD_EXISTS),
    ],
)
def test_create_field_refusals(generated, body, message):
    before = field_names(generated)
    response = call(generated, "POST", "/v2/data-fields", body)
    assert (response.status_code, response.json()) == (400, {"message": message})
    assert field_names(generated) == before


def test_a_twenty_character_name_is_the_longest_allowed(dotdigital_sandbox):
    assert call(dotdigital_sandbox, "POST", "/v2/data-fields", {"name": "A" * 20}).status_code == 201


# -- deleting data fields -------------------------------------------------------------------
def test_delete_unknown_field_is_404(generated):
    response = call(generated, "DELETE", "/v2/data-fields/NO_SUCH_FIELD")
    assert (response.status_code, response.json()) == (404, {"message": "Error: ERROR_DATAFIELD_NOT_FOUND"})


@pytest.mark.parametrize("name", ["FIRSTNAME", "lastname", "PostCode", "LASTSUBSCRIBED"])
def test_system_fields_are_not_deleted(generated, name):
    response = call(generated, "DELETE", f"/v2/data-fields/{name}")
    refused = {"dependencies": ["System field"], "result": False}
    assert (response.status_code, response.json()) == (200, refused)
    assert name.upper() in field_names(generated)


def test_a_field_in_use_is_not_deleted_until_freed(generated):
    spec = {"name": "birthday", "dependencies": ["Used in program 12345"]}
    reply = generated.control(data_field_in_use=spec)
    assert reply["in_use"] == {"name": "BIRTHDAY", "dependencies": ["Used in program 12345"]}
    dumped = {f["name"]: f["inUse"] for f in generated.state()["data"]["data_fields"]}
    assert dumped["BIRTHDAY"] == ["Used in program 12345"] and dumped["IS_VIP"] is None
    response = call(generated, "DELETE", "/v2/data-fields/BIRTHDAY")
    assert (response.status_code, response.json()) == (
        200, {"dependencies": ["Used in program 12345"], "result": False})
    assert "BIRTHDAY" in field_names(generated)
    generated.control(data_field_in_use={"name": "BIRTHDAY", "dependencies": None})
    freed = call(generated, "DELETE", "/v2/data-fields/birthday")
    assert (freed.status_code, freed.json()) == (200, {"dependencies": None, "result": True})


def test_in_use_control_defaults_swag_objects_and_refusals(generated):
    reply = generated.control(data_field_in_use={"name": "IS_VIP"})
    assert reply["in_use"]["dependencies"] == ["Used in program 12345"]
    objects = [{"type": "Program", "objectId": 12345}, {"type": "Survey", "objectId": 7}]
    generated.control(data_field_in_use={"name": "IS_VIP", "dependencies": objects})
    response = call(generated, "DELETE", "/v2/data-fields/IS_VIP")
    assert (response.status_code, response.json()) == (200, {"dependencies": objects, "result": False})
    bad = ({"name": "NOPE"}, {"dependencies": []}, {"name": "IS_VIP", "dependencies": "x"},
           {"name": "IS_VIP", "dependencies": [{"type": "Program"}]})
    for spec in bad:
        response = requests.post(f"{generated.base_url}/__control", json={"data_field_in_use": spec},
                                 timeout=10)
        assert response.status_code == 400 and "error" in response.json()


def test_deleting_a_free_field_removes_it_everywhere(generated):
    assert "LOYALTY_POINTS" in first_contact_fields(generated)
    before = generated.state()["data"]["contacts"]
    assert any(c["dataFields"]["LOYALTY_POINTS"] is not None for c in before)
    response = call(generated, "DELETE", "/v2/data-fields/Loyalty_Points")
    assert (response.status_code, response.json()) == (200, {"dependencies": None, "result": True})
    assert "LOYALTY_POINTS" not in field_names(generated)
    assert "LOYALTY_POINTS" not in first_contact_fields(generated)
    data = generated.state()["data"]
    assert all("LOYALTY_POINTS" not in c["dataFields"] for c in data["contacts"])
    assert call(generated, "DELETE", "/v2/data-fields/LOYALTY_POINTS").status_code == 404
    # A new field of the same name starts empty: old values are not resurrected.
    call(generated, "POST", "/v2/data-fields", {"name": "LOYALTY_POINTS", "type": "Numeric"})
    values = [c["dataFields"]["LOYALTY_POINTS"] for c in generated.state()["data"]["contacts"]]
    assert set(values) == {None}


def test_contacts_with_full_data_show_new_fields_as_null(generated):
    assert "SHOE_SIZE" not in first_contact_fields(generated)
    call(generated, "POST", "/v2/data-fields", {"name": "shoe_size", "type": "Numeric", "defaultValue": 40})
    fields = first_contact_fields(generated)
    assert list(fields)[-1] == "SHOE_SIZE" and fields["SHOE_SIZE"] is None
    plain = call(generated, "GET", "/v2/address-books/101/contacts", select=1).json()
    assert plain[0]["dataFields"] is None
