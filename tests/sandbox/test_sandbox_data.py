"""The sandbox's data tooling over real loopback HTTP: the deterministic generator (control, server
option, CLI flag), campaign summaries that agree with the activity routes, and the mutation
controls tests use to simulate changes on Dotdigital's side."""

from __future__ import annotations

import time

import requests

from flask_dotdigital.sandbox import SandboxServer
from flask_dotdigital.sandbox.__main__ import build_parser
from flask_dotdigital.sandbox.generator import build

AFTER_GENERATED = "2025-01-01T00:00:00Z"
# ApiCampaignSummary's fields in the reference's order (§3.6).
SUMMARY_KEYS = [
    "dateSent", "numUniqueOpens", "numUniqueTextOpens", "numTotalUniqueOpens", "numOpens", "numTextOpens",
    "numTotalOpens", "numClicks", "numTextClicks", "numTotalClicks", "numPageViews", "numTotalPageViews",
    "numTextPageViews", "numForwards", "numTextForwards", "numEstimatedForwards",
    "numTextEstimatedForwards", "numTotalEstimatedForwards", "numReplies", "numTextReplies",
    "numTotalReplies", "numHardBounces", "numTextHardBounces", "numTotalHardBounces", "numSoftBounces",
    "numTextSoftBounces", "numTotalSoftBounces", "numUnsubscribes", "numTextUnsubscribes",
    "numTotalUnsubscribes", "numIspComplaints", "numTextIspComplaints", "numTotalIspComplaints",
    "numMailBlocks", "numTextMailBlocks", "numTotalMailBlocks", "numSent", "numTextSent", "numTotalSent",
    "numRecipientsClicked", "numDelivered", "numTextDelivered", "numTotalDelivered", "percentageDelivered",
    "percentageUniqueOpens", "percentageOpens", "percentageUnsubscribes", "percentageReplies",
    "percentageHardBounces", "percentageSoftBounces", "percentageUsersClicked", "percentageClicksToOpens",
    "revenue", "conversionRate", "assistedRevenue", "numOrders", "numAssistedOrders",
]  # fmt: skip
PERCENTAGES = {key for key in SUMMARY_KEYS if key.startswith("percentage")} | {"conversionRate"}


def test_generate_reply_and_state(dotdigital_sandbox):
    reply = dotdigital_sandbox.control(generate={"contacts": 250, "books": 4, "campaigns": 5, "seed": 3})
    assert "data" not in reply
    made = reply["generated"]
    data = dotdigital_sandbox.state()["data"]
    assert (made["contacts"], made["address_books"], made["campaigns"]) == (250, 4, 5)
    assert (len(data["contacts"]), len(data["address_books"]), len(data["campaigns"])) == (250, 4, 5)
    assert made["activities"] == len(data["activities"]) > 0 and made["opens"] == len(data["opens"]) > 0
    assert made["suppressions"] == len(data["suppressions"]) > 0
    emails = [c["email"] for c in data["contacts"]]
    assert len({e.lower() for e in emails}) == 250 and any(e != e.lower() for e in emails)
    assert all(len(c["memberships"]) >= 1 for c in data["contacts"])
    assert any(len(c["memberships"]) == 4 for c in data["contacts"])
    statuses = [c["status"] for c in data["campaigns"]]
    assert statuses.count("Unsent") == 1 and statuses.count("Sending") == 1
    for book in data["address_books"]:
        assert any(c["status"] == "Sent" and book["id"] in c["addressBookIds"] for c in data["campaigns"])
    suppressed = {s["contactId"]: s["reason"] for s in data["suppressions"]}
    assert all(c["status"] == suppressed.get(c["id"], "Subscribed") for c in data["contacts"])


def test_same_seed_gives_the_same_state_and_another_seed_does_not(dotdigital_sandbox):
    dotdigital_sandbox.control(generate={"contacts": 120, "seed": 7})
    first = dotdigital_sandbox.state()["data"]
    dotdigital_sandbox.control(generate={"contacts": 120, "seed": 8})
    other = dotdigital_sandbox.state()["data"]
    dotdigital_sandbox.generate(contacts=120, seed=7)
    assert dotdigital_sandbox.state()["data"] == first != other


def test_ten_thousand_contacts_generate_quickly_and_serve_state():
    started = time.perf_counter()
    data = build(contacts=10_000)
    assert time.perf_counter() - started < 2.0
    assert len(data.contacts) == 10_000
    with SandboxServer(generate=10_000, seed=2) as server:
        started = time.perf_counter()
        state = server.state()["data"]
        assert time.perf_counter() - started < 5.0
        assert (
            len(state["contacts"]) == 10_000 and sum(b["contacts"] for b in state["address_books"]) > 10_000
        )


def test_cli_accepts_generate_and_seed():
    args = build_parser().parse_args(["--generate", "500", "--seed", "4"])
    assert (args.generate, args.seed) == (500, 4)
    assert build_parser().parse_args([]).generate is None


def test_summary_has_every_field_and_agrees_with_activity(generated, api):
    summary = api("/v2/campaigns/201/summary").json()
    assert list(summary) == SUMMARY_KEYS
    assert all(isinstance(summary[k], float) for k in PERCENTAGES)
    assert all(type(v) is int for k, v in summary.items() if k.startswith("num"))
    assert summary["dateSent"].endswith("Z") and summary["revenue"].count(".") == 1
    activities = api("/v2/campaigns/201/activities").json()
    opens, clicks = api("/v2/campaigns/201/opens").json(), api("/v2/campaigns/201/clicks").json()
    assert summary["numTotalSent"] == len(activities) == summary["numSent"] + summary["numTextSent"]
    assert summary["numTotalOpens"] == len(opens) == sum(a["numOpens"] for a in activities)
    assert summary["numTotalClicks"] == len(clicks)
    assert summary["numTotalUniqueOpens"] == sum(a["numOpens"] > 0 for a in activities)
    assert summary["numTotalHardBounces"] == sum(a["hardBounced"] for a in activities)
    delivered = len(activities) - summary["numTotalHardBounces"] - summary["numTotalSoftBounces"]
    assert summary["numTotalDelivered"] == delivered
    assert summary["percentageDelivered"] == round(delivered * 100 / len(activities), 2)
    assert summary["numRecipientsClicked"] == len({c["contactId"] for c in clicks})


def test_unsent_and_sending_campaigns_still_answer_a_summary(generated, api):
    unsent = api("/v2/campaigns/203/summary").json()
    assert unsent["dateSent"] is None and list(unsent) == SUMMARY_KEYS
    assert all(v in (0, 0.0, "0.00") for k, v in unsent.items() if k != "dateSent")
    sending = api("/v2/campaigns/204/summary").json()
    assert sending["dateSent"].endswith("Z") and sending["numTotalSent"] == 0


def ids_at(api, path: str, key: str = "id") -> list[int]:
    return [row[key] for row in api(path).json()]


def test_touch_contacts_shows_up_in_modified_since(generated, api):
    touched = generated.control(touch_contacts={"count": 20, "seed": 2})["touched"]
    ids = sorted(t["id"] for t in touched)
    assert len(ids) == 20 and all(t["dataFields"]["FIRSTNAME"].startswith("Touched") for t in touched)
    seen: set[int] = set()
    for book in (101, 102, 103):
        rows = api(
            f"/v2/address-books/{book}/contacts/modified-since/{AFTER_GENERATED}", withFullData="true"
        ).json()
        seen |= {r["id"] for r in rows}
        for row in rows:
            first = {f["key"]: f["value"] for f in row["dataFields"]}["FIRSTNAME"]
            assert first == next(t["dataFields"]["FIRSTNAME"] for t in touched if t["id"] == row["id"])
    assert sorted(seen) == ids
    generated.control(generate={"contacts": 300, "seed": 1})
    again = generated.control(touch_contacts={"count": 20, "seed": 2})["touched"]
    assert [t["id"] for t in again] == [t["id"] for t in touched]


def test_unsubscribe_shows_up_in_unsubscribed_since(generated, api):
    done = generated.control(unsubscribe={"count": 5, "book_id": 102})["unsubscribed"]
    assert len(done) == 5 and {d["addressBookId"] for d in done} == {102}
    rows = api(f"/v2/address-books/102/contacts/unsubscribed-since/{AFTER_GENERATED}").json()
    assert [(r["suppressedContact"]["id"], r["dateRemoved"]) for r in rows] == [
        (d["id"], d["dateRemoved"]) for d in done
    ]
    assert all(r["suppressedContact"]["status"] == "Unsubscribed" for r in rows)
    assert api(f"/v2/address-books/101/contacts/unsubscribed-since/{AFTER_GENERATED}").json() == []
    modified = ids_at(api, f"/v2/address-books/102/contacts/modified-since/{AFTER_GENERATED}")
    assert modified == [d["id"] for d in done]
    default_book = generated.control(unsubscribe={"count": 1})["unsubscribed"]
    assert default_book[0]["addressBookId"] == 101


def test_suppress_shows_up_in_suppressed_since(generated, api):
    done = generated.control(suppress={"count": 3})["suppressed"]
    rows = api(f"/v2/contacts/suppressed-since/{AFTER_GENERATED}").json()
    assert [(r["suppressedContact"]["id"], r["reason"]) for r in rows] == [
        (d["id"], "HardBounced") for d in done
    ]
    assert all(r["suppressedContact"]["status"] == "HardBounced" for r in rows) and len(rows) == 3
    complained = generated.control(suppress={"count": 1, "reason": "IspComplained"})["suppressed"]
    assert complained[0]["reason"] == "IspComplained" and complained[0]["id"] not in {d["id"] for d in done}


def test_delete_book_removes_it_and_its_memberships(generated, api):
    deleted = generated.control(delete_book=103)["deleted_book"]
    assert deleted["id"] == 103 and deleted["members"]
    assert api("/v2/address-books/103").status_code == 404
    assert ids_at(api, "/v2/address-books") == [101, 102]
    data = generated.state()["data"]
    assert all(m["addressBookId"] != 103 for c in data["contacts"] for m in c["memberships"])
    assert len(data["contacts"]) == 300


def test_add_activity_shows_up_in_since_date_routes_and_summary(generated, api):
    before = api("/v2/campaigns/201/summary").json()
    activity = generated.control(add_activity={"count": 10})["activity"]
    ids = sorted(c["id"] for c in activity["contacts"])
    assert activity["campaignId"] == 201 and len(ids) == 10
    opens = api(f"/v2/campaigns/201/opens/since-date/{AFTER_GENERATED}").json()
    clicks = api(f"/v2/campaigns/201/clicks/since-date/{AFTER_GENERATED}").json()
    assert opens == activity["opens"] and clicks == activity["clicks"]
    assert ids_at(api, f"/v2/campaigns/201/activities/since-date/{AFTER_GENERATED}", "contactId") == ids
    after = api("/v2/campaigns/201/summary").json()
    assert after["numTotalOpens"] == before["numTotalOpens"] + 10
    assert after["numTotalClicks"] == before["numTotalClicks"] + 10


def test_mutation_controls_reject_bad_requests(generated):
    url = f"{generated.base_url}/__control"
    for body in (
        {"generate": {"books": 2}},
        {"generate": {"contacts": -1}},
        {"touch_contacts": 5},
        {"unsubscribe": {"count": 1, "book_id": 999}},
        {"suppress": {"count": 1, "reason": "Subscribed"}},
        {"delete_book": 999},
        {"add_activity": {"count": 1, "campaign_id": 203}},
    ):
        response = requests.post(url, json=body, timeout=10)
        assert response.status_code == 400, body
        assert "error" in response.json()
