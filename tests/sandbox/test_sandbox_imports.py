"""The sandbox's contact imports and membership removals over real loopback HTTP: both upload
encodings and their refusals, the status progression and its controls, applying the rows when the
import finishes, the report and the fault file, the 25-active cap, removing contacts from a book
and the recorded destructive delete-all (reference §3.3, §3.4, §6 items 5-9)."""

from __future__ import annotations

import base64
import csv
import io
import time
from typing import Any

import pytest
import requests

from .conftest import AFTER_GENERATED, AUTH

BOOK = 101
FILE_INVALID = {"message": "file must be valid"}
NO_EMAIL = {"message": "The file must contain an Email column. ERROR_IMPORT_INVALID_FILE"}
NOT_READY = {"message": "Import is not processed yet or completed with error. ERROR_IMPORT_REPORT_NOT_FOUND"}
TOO_MANY = {"message": "Too many active imports. ERROR_IMPORT_TOOMANYACTIVEIMPORTS"}
REPORT_KEYS = {
    "newContacts", "updatedContacts", "globallySuppressed", "invalidEntries", "duplicateEmails",
    "blocked", "unsubscribed", "hardBounced", "softBounced", "ispComplaints", "mailBlocked",
    "domainSuppressed", "pendingDoubleOptin", "failures", "suppressedContacts",
}


def url(sandbox, path: str) -> str:
    return f"{sandbox.regional_url}{path}"


def upload(sandbox, content: bytes, *, book: int = BOOK, filename: str | None = "contacts.csv",
           ) -> requests.Response:
    return requests.post(url(sandbox, f"/v2/address-books/{book}/contacts/import"),
                         files={"file": (filename, content, "text/csv")}, auth=AUTH, timeout=30)


def get(sandbox, path: str) -> requests.Response:
    return requests.get(url(sandbox, path), auth=AUTH, timeout=30)


def status(sandbox, import_id: str) -> str:
    response = get(sandbox, f"/v2/contacts/import/{import_id}")
    assert response.status_code == 200
    assert set(response.json()) == {"id", "status"}
    return response.json()["status"]


def finish(sandbox, import_id: str, polls: int = 10) -> str:
    """Poll until the import ends (or ``polls`` run out); the last status seen."""
    for _ in range(polls):
        seen = status(sandbox, import_id)
        if seen != "NotFinished":
            return seen
    return seen


def to_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def data(sandbox) -> dict[str, Any]:
    result: dict[str, Any] = sandbox.state()["data"]
    return result


def by_email(state_data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["email"].lower(): c for c in state_data["contacts"]}


def members(contact: dict[str, Any]) -> dict[int, str]:
    return {m["addressBookId"]: m["status"] for m in contact["memberships"]}


def pick(state_data: dict[str, Any], *, subscribed: bool, outside: int = BOOK) -> dict[str, Any]:
    """A contact that is (or is not) subscribed at account level and is not in book ``outside``."""
    return next(c for c in state_data["contacts"]
                if (c["status"] == "Subscribed") == subscribed and outside not in members(c))


# -- uploading ----------------------------------------------------------------------------------
def test_multipart_upload_answers_202_and_applies_nothing_until_the_import_finishes(generated):
    before = data(generated)
    existing = pick(before, subscribed=True)
    rows = [["EMAIL", "FirstName", "loyalty_points", "IS_VIP", "birthday", "optInType", "EmailType"],
            ["New.Person@Example.COM", "Nia", "12", "yes", "1990-02-03T00:00:00", "double", "plaintext"],
            [existing["email"].upper(), "Renamed", "7.5", "False", "", "", ""]]
    response = upload(generated, to_csv(rows), filename="spring.csv")
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"id", "status"} and body["status"] == "NotFinished"
    assert len(body["id"]) == 36 and body["id"].count("-") == 4  # a GUID
    state = generated.state()
    assert state["imports"] == [{"id": body["id"], "addressBookId": BOOK, "status": "NotFinished", "polls": 0,
                                 "rows": 2, "fileName": "spring.csv", "encoding": "multipart", "faults": 0,
                                 "ignoredColumns": []}]
    assert [(c["method"], c["path"], c["status"]) for c in state["calls"]] == [
        ("POST", f"/r2/v2/address-books/{BOOK}/contacts/import", 202)]

    assert [status(generated, body["id"]) for _ in range(2)] == ["NotFinished"] * 2
    assert "new.person@example.com" not in by_email(data(generated))  # still pending
    assert status(generated, body["id"]) == "Finished"
    assert status(generated, body["id"]) == "Finished"  # stays finished

    after = by_email(data(generated))
    new = after["new.person@example.com"]
    assert new["email"] == "New.Person@Example.COM"  # kept as sent
    assert (new["optInType"], new["emailType"], new["status"]) == ("Double", "PlainText", "Subscribed")
    assert {k: new["dataFields"][k] for k in ("FIRSTNAME", "LOYALTY_POINTS", "IS_VIP", "BIRTHDAY")} == {
        "FIRSTNAME": "Nia", "LOYALTY_POINTS": 12, "IS_VIP": True, "BIRTHDAY": "1990-02-03T00:00:00"}
    assert members(new) == {BOOK: "Subscribed"}
    assert new["id"] == max(c["id"] for c in before["contacts"]) + 1
    updated = after[existing["email"].lower()]
    assert updated["id"] == existing["id"] and updated["email"] == existing["email"]  # matched, not renamed
    assert updated["dataFields"]["FIRSTNAME"] == "Renamed"
    assert (updated["dataFields"]["LOYALTY_POINTS"], updated["dataFields"]["IS_VIP"]) == (7.5, False)
    assert updated["dataFields"]["BIRTHDAY"] is None  # a blank cell overwrites
    assert updated["optInType"] == existing["optInType"]  # blank enum cells leave the value alone
    assert members(updated)[BOOK] == "Subscribed"
    assert new["modified"] > AFTER_GENERATED and updated["modified"] > AFTER_GENERATED
    assert len(after) == len(before["contacts"]) + 1
    assert generated.state()["imports"][0]["polls"] == 4


@pytest.mark.parametrize(("name_key", "data_key"), [("fileName", "data"), ("filename", "Data"),
                                                     ("FileName", "Data")])
def test_base64_json_upload_in_every_key_casing(generated, name_key, data_key):
    content = to_csv([["email"], ["b64@example.com"]])
    body = {name_key: "rp.csv", data_key: base64.b64encode(content).decode()}
    response = requests.post(url(generated, f"/v2/address-books/{BOOK}/contacts/import"), json=body,
                             auth=AUTH, timeout=10)
    assert (response.status_code, response.json()["status"]) == (202, "NotFinished")
    entry = generated.state()["imports"][0]
    assert (entry["encoding"], entry["fileName"], entry["rows"]) == ("base64", "rp.csv", 1)
    assert finish(generated, response.json()["id"]) == "Finished"
    assert members(by_email(data(generated))["b64@example.com"]) == {BOOK: "Subscribed"}


def test_upload_refusals_for_an_unreadable_file(generated):
    path = url(generated, f"/v2/address-books/{BOOK}/contacts/import")
    content = to_csv([["Email"], ["a@example.com"]])
    no_filename = requests.post(path, files={"file": (None, content)}, auth=AUTH, timeout=10)
    assert (no_filename.status_code, no_filename.json()) == (400, FILE_INVALID)
    assert (upload(generated, content, filename="").status_code) == 400
    two_files = requests.post(path, files=[("file", ("a.csv", content)), ("more", ("b.csv", content))],
                              auth=AUTH, timeout=10)
    assert (two_files.status_code, two_files.json()) == (400, FILE_INVALID)
    for body in ({"fileName": "x.csv"}, {"data": base64.b64encode(content).decode()},
                 {"fileName": "x.csv", "data": "not base64!"}, ["x"], None):
        response = requests.post(path, json=body, auth=AUTH, timeout=10)
        assert (response.status_code, response.json()) == (400, FILE_INVALID), body
    plain = requests.post(path, data=content, headers={"Content-Type": "text/csv"}, auth=AUTH, timeout=10)
    assert (plain.status_code, plain.json()) == (400, FILE_INVALID)
    assert generated.state()["imports"] == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", NO_EMAIL["message"]),
        (b"FirstName,LastName\nAnn,Smith\n", NO_EMAIL["message"]),
        (b"Email,email\na@example.com,b@example.com\n", NO_EMAIL["message"]),
        ("Email,FIRSTNAME\nz@example.com,Zoë\n".encode("latin-1"),
         "The file must be a UTF-8 CSV file. ERROR_IMPORT_INVALID_FILE"),
    ],
)
def test_a_file_without_one_email_column_or_not_utf8_is_refused(generated, content, message):
    response = upload(generated, content)
    assert (response.status_code, response.json()) == (400, {"message": message})
    assert generated.state()["imports"] == []


def test_header_names_are_case_insensitive_and_a_bom_is_accepted(generated):
    response = upload(generated, "\ufeffeMaIl,firstname\nbom@example.com,Zoë\n".encode())
    assert finish(generated, response.json()["id"]) == "Finished"
    assert by_email(data(generated))["bom@example.com"]["dataFields"]["FIRSTNAME"] == "Zoë"


def test_a_file_over_50_mb_is_refused(generated):
    content = b"Email\n" + b"a" * (50 * 1024 * 1024 - 5)
    response = upload(generated, content)
    assert response.status_code == 400
    assert response.json() == {"message": "File exceeds the 50MB limit. ERROR_IMPORT_FILE_TOO_LARGE"}


def test_upload_to_an_unknown_book_is_404(generated):
    response = upload(generated, b"Email\na@example.com\n", book=999)
    assert (response.status_code, response.json()) == (404, {"message": "Error: ERROR_ADDRESSBOOK_NOT_FOUND"})


# -- status progression and controls ------------------------------------------------------------
def test_unknown_import_id_is_404(dotdigital_sandbox):
    response = get(dotdigital_sandbox, "/v2/contacts/import/00000000-0000-0000-0000-000000000000")
    assert (response.status_code, response.json()) == (404, {"message": "Error: ERROR_IMPORT_NOT_FOUND"})


def test_import_polls_control_sets_how_many_polls_answer_not_finished(generated):
    generated.control(import_polls=0)
    quick = upload(generated, b"Email\nq@example.com\n").json()["id"]
    assert status(generated, quick) == "Finished"
    generated.control(import_polls=4)
    slow = upload(generated, b"Email\ns@example.com\n").json()["id"]
    assert [status(generated, slow) for _ in range(5)] == ["NotFinished"] * 4 + ["Finished"]
    assert generated.state()["import_settings"] == {"import_polls": 4, "next_import_outcome": None}


@pytest.mark.parametrize("outcome", ["RejectedByWatchdog", "Failed", "InvalidFileFormat",
                                     "ExceedsAllowedContactLimit"])
def test_next_import_outcome_fails_only_the_next_upload_and_applies_nothing(generated, outcome):
    generated.control(next_import_outcome=outcome)
    failed = upload(generated, b"Email\nfailed@example.com\n").json()["id"]
    assert generated.state()["import_settings"]["next_import_outcome"] is None  # consumed
    ok = upload(generated, b"Email\nok@example.com\n").json()["id"]
    assert [status(generated, failed) for _ in range(4)] == ["NotFinished"] * 2 + [outcome] * 2
    assert finish(generated, ok) == "Finished"
    emails = by_email(data(generated))
    assert "failed@example.com" not in emails and "ok@example.com" in emails
    for path in ("report", "report-faults"):
        response = get(generated, f"/v2/contacts/import/{failed}/{path}")
        assert (response.status_code, response.json()) == (400, NOT_READY)


def test_a_stuck_import_never_finishes(generated):
    generated.control(next_import_outcome="Stuck")
    stuck = upload(generated, b"Email\nstuck@example.com\n").json()["id"]
    assert {status(generated, stuck) for _ in range(8)} == {"NotFinished"}
    assert "stuck@example.com" not in by_email(data(generated))
    assert generated.state()["imports"][0]["polls"] == 8


@pytest.mark.parametrize("settings", [{"next_import_outcome": "Finished"}, {"next_import_outcome": "failed"},
                                      {"import_polls": -1}, {"import_polls": "2"}])
def test_import_controls_refuse_bad_values(dotdigital_sandbox, settings):
    response = requests.post(f"{dotdigital_sandbox.base_url}/__control", json=settings, timeout=10)
    assert response.status_code == 400 and "error" in response.json()


def test_twenty_five_active_imports_at_most(generated):
    generated.control(next_import_outcome="Stuck")
    stuck = upload(generated, b"Email\nx0@example.com\n").json()["id"]
    ids = [upload(generated, f"Email\nx{n}@example.com\n".encode()).json()["id"] for n in range(1, 25)]
    refused = upload(generated, b"Email\nx25@example.com\n")
    assert (refused.status_code, refused.json()) == (400, TOO_MANY)
    assert len(generated.state()["imports"]) == 25
    assert finish(generated, ids[0]) == "Finished"  # one slot frees up ...
    assert upload(generated, b"Email\nx25@example.com\n").status_code == 202
    assert upload(generated, b"Email\nx26@example.com\n").json() == TOO_MANY
    assert status(generated, stuck) == "NotFinished"  # ... and a stuck one holds its slot for ever


# -- report and fault file ----------------------------------------------------------------------
def test_report_and_faults_are_refused_until_the_import_finished(generated):
    import_id = upload(generated, b"Email\nr@example.com\n").json()["id"]
    for path in ("report", "report-faults"):
        response = get(generated, f"/v2/contacts/import/{import_id}/{path}")
        assert (response.status_code, response.json()) == (400, NOT_READY)
    unknown = get(generated, "/v2/contacts/import/nope/report")
    assert (unknown.status_code, unknown.json()) == (404, {"message": "Error: ERROR_IMPORT_NOT_FOUND"})


def test_report_and_fault_file_of_a_mixed_import(generated):
    before = data(generated)
    suppressed = pick(before, subscribed=False)
    existing = pick(before, subscribed=True)
    header = ["Email", "FIRSTNAME", "Shoe Size", "LOYALTY_POINTS"]
    rows = [
        header,
        ["fresh@example.com", 'Ann "the, quoted" Lee', "42", "1"],
        [existing["email"], "Same", "", ""],
        [suppressed["email"], "Blocked", "", ""],
        ["not-an-email", "Nobody", "", ""],
        ["FRESH@example.com", "Again", "", ""],
        ["multi@example.com", "line one\nline two, \"quoted\"", "", ""],
        ["bad-number@example.com", "Bea", "", "lots"],
    ]
    import_id = upload(generated, to_csv(rows)).json()["id"]
    assert finish(generated, import_id) == "Finished"

    report = get(generated, f"/v2/contacts/import/{import_id}/report")
    assert report.status_code == 200
    body = report.json()
    assert set(body) == REPORT_KEYS
    reason_figure = {"Unsubscribed": "unsubscribed", "HardBounced": "hardBounced",
                     "IspComplained": "ispComplaints"}[suppressed["status"]]
    expected = dict.fromkeys(REPORT_KEYS, 0) | {"newContacts": 2, "updatedContacts": 1, "invalidEntries": 1,
                                                "duplicateEmails": 1, "failures": 1, reason_figure: 1}
    assert body == expected

    faults = get(generated, f"/v2/contacts/import/{import_id}/report-faults")
    assert faults.status_code == 200
    assert faults.headers["Content-Type"].startswith("text/csv")
    parsed = list(csv.reader(io.StringIO(faults.text, newline="")))
    assert parsed == [
        ["Reason", *header],
        [suppressed["status"], *rows[3]],
        ["Invalid email", *rows[4]],
        ["Duplicate", *rows[5]],
        ["Invalid data", *rows[7]],
    ]
    after = by_email(data(generated))
    assert BOOK not in members(after[suppressed["email"].lower()])  # suppressed: not added ...
    assert after[suppressed["email"].lower()]["dataFields"]["FIRSTNAME"] != "Blocked"  # ... nor updated
    assert after["fresh@example.com"]["dataFields"]["FIRSTNAME"] == 'Ann "the, quoted" Lee'
    assert after["multi@example.com"]["dataFields"]["FIRSTNAME"] == 'line one\nline two, "quoted"'
    assert "bad-number@example.com" not in after
    entry = generated.state()["imports"][0]
    assert (entry["rows"], entry["faults"], entry["ignoredColumns"]) == (7, 4, ["Shoe Size"])


def test_a_clean_import_has_a_header_only_fault_file(generated):
    import_id = upload(generated, b"email,FirstName\nclean@example.com,Cleo\n").json()["id"]
    finish(generated, import_id)
    response = get(generated, f"/v2/contacts/import/{import_id}/report-faults")
    assert response.text == "Reason,email,FirstName\r\n"


def test_a_twenty_thousand_row_import_and_state_stay_fast(dotdigital_sandbox):
    dotdigital_sandbox.control(generate={"contacts": 20000, "seed": 1}, import_polls=0)
    existing = [c["email"] for c in data(dotdigital_sandbox)["contacts"][:10000]]
    fresh = [f"bulk{n}@example.com" for n in range(10000)]
    content = to_csv([["Email", "FIRSTNAME"], *([email, "Bulk"] for email in existing + fresh)])
    started = time.monotonic()
    import_id = upload(dotdigital_sandbox, content).json()["id"]
    assert status(dotdigital_sandbox, import_id) == "Finished"
    report = get(dotdigital_sandbox, f"/v2/contacts/import/{import_id}/report").json()
    state = dotdigital_sandbox.state()
    assert time.monotonic() - started < 20
    suppressed = sum(1 for c in state["data"]["contacts"][:10000] if c["status"] != "Subscribed")
    assert (report["newContacts"], report["updatedContacts"]) == (10000, 10000 - suppressed)
    assert len(state["data"]["contacts"]) == 30000
    assert state["imports"][0]["rows"] == 20000  # a count, never the file


# -- removing contacts from a book -------------------------------------------------------------
def test_remove_contacts_takes_members_out_of_the_book_only(generated):
    book = {c["id"] for c in data(generated)["contacts"] if BOOK in members(c)}
    chosen = sorted(book)[:3]
    response = requests.post(url(generated, f"/v2/address-books/{BOOK}/contacts/delete"), auth=AUTH,
                             json=[*chosen, 999999], timeout=10)
    assert response.status_code == 202
    assert response.json()["status"] == "Started" and len(response.json()["id"]) == 36
    after = data(generated)
    assert {c["id"] for c in after["contacts"] if BOOK in members(c)} == book - set(chosen)
    assert {c["id"] for c in after["contacts"]} >= set(chosen)  # still in the account
    assert next(b for b in after["address_books"] if b["id"] == BOOK)["contacts"] == len(book) - 3


@pytest.mark.parametrize("body", [[], {"ids": [1]}, ["1001"], [True], None])
def test_remove_contacts_refuses_an_empty_or_malformed_list(generated, body):
    before = next(b for b in data(generated)["address_books"] if b["id"] == BOOK)["contacts"]
    response = requests.post(url(generated, f"/v2/address-books/{BOOK}/contacts/delete"), auth=AUTH,
                             json=body, timeout=10)
    assert (response.status_code, response.json()) == (400, {"message": "Error: ERROR_PARAMETER_INVALID"})
    assert next(b for b in data(generated)["address_books"] if b["id"] == BOOK)["contacts"] == before


def test_remove_contacts_from_an_unknown_book_is_404(generated):
    response = requests.post(url(generated, "/v2/address-books/999/contacts/delete"), auth=AUTH,
                             json=[1001], timeout=10)
    assert response.status_code == 404


def test_the_destructive_delete_all_empties_the_book_and_is_recorded(generated):
    assert generated.state()["destructive_delete_all"] == []
    response = requests.delete(url(generated, f"/v2/address-books/{BOOK}/contacts"), auth=AUTH, timeout=10)
    assert (response.status_code, response.content) == (204, b"")
    state = generated.state()
    assert state["destructive_delete_all"] == [BOOK]
    assert next(b for b in state["data"]["address_books"] if b["id"] == BOOK)["contacts"] == 0
    assert generated.control(reset=True)["destructive_delete_all"] == []
