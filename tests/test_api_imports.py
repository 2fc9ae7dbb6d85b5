"""The client's contact-import and membership calls against the sandbox over loopback: uploading a
CSV, polling it to an end, reading the report and the fault file, removing contacts from a book,
and the guard that keeps the destructive delete-all from ever being sent (§3.3, §3.4, §6)."""

from __future__ import annotations

import base64
import csv
import io

import pytest
import requests

from flask_dotdigital.api.address_books import book_contacts, remove_contacts
from flask_dotdigital.api.imports import (
    import_faults,
    import_report,
    import_status,
    upload_contacts,
    utf8_text,
)
from flask_dotdigital.errors import ApiError, NotFound

from .test_api_client import SANDBOX_PASSWORD, SANDBOX_USER, api_calls, make_client

BOOK = 101


@pytest.fixture
def client(sandbox):
    sandbox.control(generate={"contacts": 50, "seed": 1})
    client = make_client(sandbox)
    client.discover()
    return client


def to_csv(rows):
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def poll(client, import_id, limit=10):
    for _ in range(limit):
        status = import_status(client, import_id)
        if status != "NotFinished":
            return status
    return status


def book_rows(client, book_id=BOOK):
    return {row["email"].lower(): row for page in book_contacts(client, book_id) for row in page}


def contacts(sandbox):
    return sandbox.state()["data"]["contacts"]


def test_upload_poll_and_the_contacts_arrive_with_their_data_fields(client, sandbox):
    content = to_csv([["Email", "FIRSTNAME", "LOYALTY_POINTS", "IS_VIP", "BIRTHDAY"],
                      ["Imported@Example.com", "Ida", "250", "true", "1985-06-07T00:00:00"]])
    started = upload_contacts(client, BOOK, content, filename="crm-export.csv")
    assert started["status"] == "NotFinished" and len(started["id"]) == 36
    assert "imported@example.com" not in book_rows(client)
    assert poll(client, started["id"]) == "Finished"
    row = book_rows(client)["imported@example.com"]
    fields = {pair["key"]: pair["value"] for pair in row["dataFields"]}
    assert (row["email"], row["status"]) == ("Imported@Example.com", "Subscribed")
    assert (fields["FIRSTNAME"], fields["LOYALTY_POINTS"], fields["IS_VIP"], fields["BIRTHDAY"]) == (
        "Ida", 250, True, "1985-06-07T00:00:00")
    entry = sandbox.state()["imports"][0]
    assert (entry["encoding"], entry["fileName"], entry["rows"]) == ("multipart", "crm-export.csv", 1)
    report = import_report(client, started["id"])
    assert (report["newContacts"], report["updatedContacts"]) == (1, 0)
    assert import_faults(client, started["id"]) == []
    uploads = [c for c in api_calls(sandbox) if c[0] == "POST"]
    assert uploads == [("POST", f"/r2/v2/address-books/{BOOK}/contacts/import", 202)]


def test_the_base64_encoding_is_accepted_too(client, sandbox):
    # The client uploads multipart; Oro and RP send base64 JSON (§3.3), so check that path directly.
    content = to_csv([["email"], ["rp@example.com"]])
    response = requests.post(f"{sandbox.regional_url}/v2/address-books/{BOOK}/contacts/import",
                             json={"FileName": "rp.csv", "Data": base64.b64encode(content).decode()},
                             auth=(SANDBOX_USER, SANDBOX_PASSWORD), timeout=10)
    assert response.status_code == 202
    assert poll(client, response.json()["id"]) == "Finished"
    assert "rp@example.com" in book_rows(client)
    assert sandbox.state()["imports"][0]["encoding"] == "base64"


def test_faults_are_parsed_with_lower_cased_keys(client, sandbox):
    suppressed = next(c for c in contacts(sandbox) if c["status"] != "Subscribed"
                      and BOOK not in [m["addressBookId"] for m in c["memberships"]])
    quoted = 'Smith, "Jr."'
    content = to_csv([["Email", "LastName"],
                      [suppressed["email"], "S"],
                      ["broken-address", "B"],
                      ["twice@example.com", quoted],
                      ["TWICE@example.com", quoted]])
    import_id = upload_contacts(client, BOOK, content)["id"]
    assert poll(client, import_id) == "Finished"
    assert import_faults(client, import_id) == [
        {"reason": suppressed["status"], "email": suppressed["email"], "lastname": "S"},
        {"reason": "Invalid email", "email": "broken-address", "lastname": "B"},
        {"reason": "Duplicate", "email": "TWICE@example.com", "lastname": quoted},
    ]
    report = import_report(client, import_id)
    assert (report["newContacts"], report["invalidEntries"], report["duplicateEmails"]) == (1, 1, 1)
    assert suppressed["email"].lower() not in book_rows(client)


def test_report_and_faults_before_the_end_raise_the_documented_error(client, sandbox):
    import_id = upload_contacts(client, BOOK, b"Email\nearly@example.com\n")["id"]
    for call in (import_report, import_faults):
        with pytest.raises(ApiError) as caught:
            call(client, import_id)
        assert (caught.value.status, caught.value.code) == (400, "ERROR_IMPORT_REPORT_NOT_FOUND")
    with pytest.raises(NotFound):
        import_status(client, "00000000-0000-0000-0000-000000000000")


def test_a_watchdog_rejection_ends_the_import_and_imports_nothing(client, sandbox):
    sandbox.control(next_import_outcome="RejectedByWatchdog")
    import_id = upload_contacts(client, BOOK, b"Email\nrejected@example.com\n")["id"]
    assert poll(client, import_id) == "RejectedByWatchdog"
    assert "rejected@example.com" not in {c["email"] for c in contacts(sandbox)}
    with pytest.raises(ApiError):
        import_report(client, import_id)


def test_upload_refusals_surface_as_api_errors_and_are_not_resent(client, sandbox):
    with pytest.raises(ApiError) as caught:
        upload_contacts(client, BOOK, b"Name\nAnn\n")
    assert (caught.value.status, caught.value.code) == (400, "ERROR_IMPORT_INVALID_FILE")
    sandbox.control(next_import_outcome="Stuck")
    for n in range(25):
        upload_contacts(client, BOOK, f"Email\nbusy{n}@example.com\n".encode())
    with pytest.raises(ApiError) as caught:
        upload_contacts(client, BOOK, b"Email\none-more@example.com\n")
    assert caught.value.code == "ERROR_IMPORT_TOOMANYACTIVEIMPORTS"
    sandbox.control(fail_next=[{"status": 503}])
    with pytest.raises(ApiError) as caught:
        upload_contacts(client, BOOK, b"Email\nx@example.com\n")
    assert caught.value.status == 503
    posts = [c for c in api_calls(sandbox) if c[0] == "POST"]
    assert posts[-2:] == [("POST", f"/r2/v2/address-books/{BOOK}/contacts/import", 400),
                          ("POST", f"/r2/v2/address-books/{BOOK}/contacts/import", 503)]  # once each


def test_import_status_tolerates_pascal_case_keys():
    class Answers:
        def request(self, method, path, **kwargs):
            return {"Id": "abc", "Status": "Finished"}

    assert import_status(Answers(), "abc") == "Finished"  # type: ignore[arg-type]


def test_utf8_text_undoes_a_latin1_reading_and_keeps_correct_text():
    original = "Reason,Email,FirstName\r\nDuplicate,zoe@example.com,Zoë €\r\n"
    misread = original.encode("utf-8").decode("latin-1")  # what requests does without a charset
    assert utf8_text(misread) == original
    assert utf8_text(original) == original
    assert utf8_text("Zoë") == "Zoë"


# -- removing contacts --------------------------------------------------------------------------
def test_remove_contacts_takes_only_those_members_out(client, sandbox):
    members = sorted(row["id"] for row in book_rows(client).values())
    remove_contacts(client, BOOK, [members[2], members[0], members[0]])
    assert sorted(row["id"] for row in book_rows(client).values()) == members[1:2] + members[3:]
    assert {members[0], members[2]} <= {c["id"] for c in contacts(sandbox)}  # still in the account
    assert ("POST", f"/r2/v2/address-books/{BOOK}/contacts/delete", 202) in api_calls(sandbox)
    assert sandbox.state()["destructive_delete_all"] == []


def test_an_empty_list_is_refused_before_any_call(client, sandbox):
    before = len(api_calls(sandbox))
    with pytest.raises(ValueError, match="at least one contact id"):
        remove_contacts(client, BOOK, [])
    assert len(api_calls(sandbox)) == before
    assert len(book_rows(client)) > 0
    assert sandbox.state()["destructive_delete_all"] == []


def test_the_client_never_sends_the_destructive_delete_all(client, sandbox):
    upload_contacts(client, BOOK, b"Email\nkeep@example.com\n")
    members = [row["id"] for row in book_rows(client).values()]
    remove_contacts(client, BOOK, members[:1])
    with pytest.raises(ValueError):
        remove_contacts(client, BOOK, members[:0])
    calls = api_calls(sandbox)
    assert not [c for c in calls if c[0] == "DELETE" and c[1].endswith("/contacts")]
    assert sandbox.state()["destructive_delete_all"] == []
