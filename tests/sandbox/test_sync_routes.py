"""The v2 routes the sync engine's import connectors call, over real loopback HTTP against
generated data: shapes and casing (reference §3.1, §3.6), withFullData, the "since" filters,
select/skip bounds on every paged route and the not-found answers."""

from __future__ import annotations

import pytest

CONTACT_KEYS = ["id", "email", "optInType", "emailType", "dataFields", "status"]
CAMPAIGN_KEYS = [
    "id", "name", "subject", "fromName", "fromAddress", "htmlContent", "plainTextContent",
    "replyAction", "replyToAddress", "isSplitTest", "status",
]  # fmt: skip
ACTIVITY_KEYS = [
    "contactId", "email", "numOpens", "numPageViews", "numClicks", "numForwards", "numEstimatedForwards",
    "numReplies", "dateSent", "dateFirstOpened", "dateLastOpened", "firstOpenIp", "unsubscribed",
    "softBounced", "hardBounced",
]  # fmt: skip
OPEN_KEYS = [
    "contactId", "email", "mailClient", "mailClientVersion", "ipAddress", "userAgent", "isHtml", "isForward",
    "dateOpened",
]  # fmt: skip
CLICK_KEYS = ["contactId", "email", "url", "ipAddress", "userAgent", "dateClicked", "keyword"]
CONTACT_STATUSES = {"Subscribed", "Unsubscribed", "HardBounced", "IspComplained", "SoftBounced"}
PAGED_ROUTES = [
    "/v2/address-books",
    "/v2/address-books/101/contacts",
    "/v2/address-books/101/contacts/modified-since/2024-01-01T00:00:00Z",
    "/v2/address-books/101/contacts/unsubscribed-since/2024-01-01T00:00:00Z",
    "/v2/address-books/101/campaigns",
    "/v2/contacts/suppressed-since/2024-01-01T00:00:00Z",
    "/v2/campaigns",
    "/v2/campaigns/201/activities",
    "/v2/campaigns/201/activities/since-date/2024-01-01T00:00:00Z",
    "/v2/campaigns/201/clicks",
    "/v2/campaigns/201/clicks/since-date/2024-01-01T00:00:00Z",
    "/v2/campaigns/201/opens",
    "/v2/campaigns/201/opens/since-date/2024-01-01T00:00:00Z",
]


def is_iso_z(value: object) -> bool:
    return isinstance(value, str) and len(value) == 24 and value[10] == "T" and value.endswith("Z")


def members(data: dict, book_id: int) -> list[dict]:
    return [c for c in data["contacts"] if any(m["addressBookId"] == book_id for m in c["memberships"])]


def test_one_address_book_and_unknown_ids(api, data):
    assert api("/v2/address-books/102").json() == data["address_books"][1]
    assert data["address_books"][1]["contacts"] == len(members(data, 102)) > 0
    for path in (
        "/v2/address-books/999",
        "/v2/address-books/999/contacts",
        "/v2/address-books/999/campaigns",
    ):
        response = api(path)
        assert (response.status_code, response.json()) == (
            404,
            {"message": "Error: ERROR_ADDRESSBOOK_NOT_FOUND"},
        )
    for path in ("/v2/campaigns/999", "/v2/campaigns/999/summary", "/v2/campaigns/999/opens"):
        response = api(path)
        assert (response.status_code, response.json()) == (
            404,
            {"message": "Error: ERROR_CAMPAIGN_NOT_FOUND"},
        )


def test_book_contacts_list_every_member_in_id_order_without_data_fields(api, data):
    rows = api("/v2/address-books/101/contacts").json()
    expected = members(data, 101)
    assert [r["id"] for r in rows] == [c["id"] for c in expected] == sorted(c["id"] for c in expected)
    assert all(list(r) == CONTACT_KEYS and r["dataFields"] is None for r in rows)
    assert {r["status"] for r in rows} <= CONTACT_STATUSES and len({r["status"] for r in rows}) > 1
    assert {r["optInType"] for r in rows} <= {"Single", "Double", "VerifiedDouble", "Unknown"}
    assert {r["emailType"] for r in rows} == {"Html", "PlainText"}
    assert any(r["email"] != r["email"].lower() for r in rows)
    assert api("/v2/address-books/101/contacts", withFullData="false").json() == rows


def test_with_full_data_lists_every_account_field_with_nulls(api, data):
    names = [f["name"] for f in data["data_fields"]]
    rows = api("/v2/address-books/101/contacts", withFullData="true", select=50).json()
    by_id = {c["id"]: c for c in data["contacts"]}
    for row in rows:
        assert [f["key"] for f in row["dataFields"]] == names
        assert {f["key"]: f["value"] for f in row["dataFields"]} == by_id[row["id"]]["dataFields"]
    values = [f["value"] for row in rows for f in row["dataFields"]]
    assert None in values and any(isinstance(v, bool) for v in values)
    assert any(isinstance(v, int) and not isinstance(v, bool) for v in values)
    response = api("/v2/address-books/101/contacts", withFullData="yes")
    assert response.status_code == 400 and response.json()["message"].endswith("ERROR_PARAMETER_INVALID")


@pytest.mark.parametrize(
    "since",
    [
        "2024-04-01T00:00:00Z",
        "2024-04-01T00:00:00+00:00",
        "2024-04-01T00:00:00+0000",
        "2024-04-01T00:00:00",
        "2024-04-01T00:00:00.0000000Z",
        "2024-04-01T02:00:00+02:00",
        "2024-04-01T00:00:00 0000",
        "2024-04-01T00:00:00%2B00:00",
        "2024-04-01",
    ],
)
def test_modified_since_filters_on_contact_modified(api, data, since):
    cutoff = "2024-04-01T00:00:00.000Z"
    expected = [c["id"] for c in members(data, 102) if c["modified"] > cutoff]
    rows = api(f"/v2/address-books/102/contacts/modified-since/{since}", withFullData="true").json()
    assert [r["id"] for r in rows] == expected
    assert 0 < len(expected) < len(members(data, 102))
    assert all(len(r["dataFields"]) == len(data["data_fields"]) for r in rows)


@pytest.mark.parametrize("since", ["yesterday", "2024-13-01T00:00:00Z", "2024-04-01T25:00:00"])
def test_bad_since_dates_are_parameter_invalid(api, generated, since):
    for path in ("/v2/address-books/101/contacts/modified-since/", "/v2/campaigns/201/opens/since-date/"):
        response = api(path + since)
        assert response.status_code == 400
        assert response.json()["message"].endswith(". ERROR_PARAMETER_INVALID")


def test_unsubscribed_since_lists_members_who_left_the_book(api, data):
    cutoff = "2024-05-01T00:00:00.000Z"
    expected = [
        (c["id"], m["unsubscribed"])
        for c in data["contacts"]
        for m in c["memberships"]
        if m["addressBookId"] == 101 and m["status"] == "Unsubscribed" and m["unsubscribed"] > cutoff
    ]
    rows = api(f"/v2/address-books/101/contacts/unsubscribed-since/{cutoff}").json()
    assert expected and [(r["suppressedContact"]["id"], r["dateRemoved"]) for r in rows] == expected
    for row in rows:
        assert list(row) == ["suppressedContact", "dateRemoved", "reason"] and row["reason"] == "Unsubscribed"
        assert (
            list(row["suppressedContact"]) == CONTACT_KEYS and row["suppressedContact"]["dataFields"] is None
        )


def test_suppressed_since_lists_account_suppressions(api, data):
    cutoff = "2024-06-03T00:00:00.000Z"
    expected = [(s["contactId"], s["reason"]) for s in data["suppressions"] if s["dateRemoved"] > cutoff]
    rows = api(f"/v2/contacts/suppressed-since/{cutoff}").json()
    assert expected and [(r["suppressedContact"]["id"], r["reason"]) for r in rows] == expected
    assert all(r["suppressedContact"]["status"] == r["reason"] for r in rows)
    assert all(is_iso_z(r["dateRemoved"]) and r["suppressedContact"]["dataFields"] is None for r in rows)


def test_campaigns_list_one_and_per_book(api, data):
    rows = api("/v2/campaigns").json()
    assert [r["id"] for r in rows] == [c["id"] for c in data["campaigns"]]
    assert all(list(r) == CAMPAIGN_KEYS and r["htmlContent"] is None for r in rows)
    assert {r["status"] for r in rows} == {"Sent", "Unsent", "Sending"}
    assert {r["replyAction"] for r in rows} <= {"Unset", "WebMailForward", "Webmail", "Delete"}
    assert rows[0]["fromAddress"] == {"id": 1, "email": "news@emailsim.io"}
    one = api("/v2/campaigns/201").json()
    assert list(one) == CAMPAIGN_KEYS and one["htmlContent"].startswith("<html>") and one["plainTextContent"]
    for book in data["address_books"]:
        sent_to = api(f"/v2/address-books/{book['id']}/campaigns").json()
        expected = [c["id"] for c in data["campaigns"] if book["id"] in c["addressBookIds"]]
        assert [c["id"] for c in sent_to] == expected
        assert "Sent" in {c["status"] for c in sent_to}


def test_activity_opens_and_clicks_agree(api, data):
    activities = api("/v2/campaigns/201/activities").json()
    opens = api("/v2/campaigns/201/opens").json()
    clicks = api("/v2/campaigns/201/clicks").json()
    assert activities and opens and clicks
    assert [a["contactId"] for a in activities] == sorted(a["contactId"] for a in activities)
    assert all(list(a) == ACTIVITY_KEYS for a in activities)
    assert all(list(o) == OPEN_KEYS for o in opens) and all(list(c) == CLICK_KEYS for c in clicks)
    for activity in activities:
        own_opens = [o for o in opens if o["contactId"] == activity["contactId"]]
        assert activity["numOpens"] == len(own_opens)
        assert activity["numClicks"] == sum(c["contactId"] == activity["contactId"] for c in clicks)
        if own_opens:
            first = min(own_opens, key=lambda o: o["dateOpened"])
            assert (activity["dateFirstOpened"], activity["firstOpenIp"]) == (
                first["dateOpened"],
                first["ipAddress"],
            )
        else:
            assert (activity["dateFirstOpened"], activity["firstOpenIp"]) == (None, "")
    assert [a for a in data["activities"] if a["campaignId"] == 201][0]["email"] == activities[0]["email"]


def test_since_date_filters_activity_opens_and_clicks(api, generated):
    opens = api("/v2/campaigns/201/opens").json()
    cutoff = sorted(o["dateOpened"] for o in opens)[len(opens) // 2]
    later = api(f"/v2/campaigns/201/opens/since-date/{cutoff}").json()
    assert later == [o for o in opens if o["dateOpened"] > cutoff] and later
    clicks = api("/v2/campaigns/201/clicks").json()
    cutoff = sorted(c["dateClicked"] for c in clicks)[len(clicks) // 2]
    assert api(f"/v2/campaigns/201/clicks/since-date/{cutoff}").json() == [
        c for c in clicks if c["dateClicked"] > cutoff
    ]
    state = {
        a["contactId"]: a["modified"]
        for a in generated.state()["data"]["activities"]
        if a["campaignId"] == 201
    }
    cutoff = sorted(state.values())[len(state) // 2]
    rows = api(f"/v2/campaigns/201/activities/since-date/{cutoff}").json()
    assert [r["contactId"] for r in rows] == [
        cid for cid, modified in sorted(state.items()) if modified > cutoff
    ]


def test_data_fields_route(api, data):
    rows = api("/v2/data-fields").json()
    # /__state adds each field's "inUse" dependencies (None here) to the ApiDataField shape.
    assert [{**r, "inUse": None} for r in rows] == data["data_fields"]
    assert all(list(r) == ["name", "type", "visibility", "defaultValue"] for r in rows)
    assert {r["type"] for r in rows} == {"String", "Numeric", "Date", "Boolean"}
    assert {r["visibility"] for r in rows} == {"Private", "Public"}
    assert [r["name"] for r in rows][:6] == [
        "FIRSTNAME",
        "LASTNAME",
        "FULLNAME",
        "GENDER",
        "POSTCODE",
        "LASTSUBSCRIBED",
    ]


@pytest.mark.parametrize("path", PAGED_ROUTES)
def test_every_paged_route_pages_and_enforces_bounds(api, generated, path):
    whole = api(path).json()
    assert isinstance(whole, list) and whole
    pages = [api(path, select=7, skip=skip).json() for skip in range(0, len(whole) + 7, 7)]
    assert [row for page in pages for row in page] == whole
    assert all(len(page) == 7 for page in pages[:-2]) and pages[-1] == []
    for bad in ({"select": 0}, {"select": 1001}, {"skip": -1}, {"select": "x"}):
        response = api(path, **bad)
        assert response.status_code == 400
        assert response.json()["message"].endswith(". ERROR_PARAMETER_INVALID")
