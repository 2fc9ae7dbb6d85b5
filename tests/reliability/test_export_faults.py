"""The export under 10% faulty API calls (5xx, dropped connections, stalls past the timeout): once the
runs get through, Dotdigital holds exactly the list, with no member lost and none twice."""

from __future__ import annotations

from sqlalchemy import select

from example_app.models import db
from flask_dotdigital.models.enums import SyncStatus

from ..conftest import add_stat
from ..exporting import M, book_members, connected_list, run_inline, seed_contacts, settle, waiting


def test_an_export_through_faults_ends_like_a_clean_one(app, sandbox):
    seed_contacts(2_000)
    integration, _, book = connected_list()
    app.config.update(DOTDIGITAL_EXPORT_BATCH_SIZE=100, DOTDIGITAL_API_READ_TIMEOUT=1.0,
                      DOTDIGITAL_API_MAX_RETRIES=2)
    sandbox.control(fault_rate={"rate": 0.10, "seed": 11, "faults": [
        {"status": 503}, {"status": 500}, {"status": "drop"}, {"status": "stall", "seconds": 1.5}]})
    outcomes = []
    for _ in range(40):  # each run sends what still waits; bounded, not a retry-forever loop
        outcomes.append(run_inline(integration.id, "contact_export").status)
        if outcomes[-1] == SyncStatus.success and not waiting(book):
            break
    injected = sum(1 for call in sandbox.state()["calls"] if call["fault"])
    sandbox.control(fault_rate=None)
    assert injected >= 3 and outcomes[-1] == SyncStatus.success, (injected, outcomes)
    add_stat("faults injected", injected)
    add_stat("faults recovered", injected)
    settle(integration.id, rounds=8)
    members = book_members(sandbox, book.origin_id)
    assert sorted(members) == sorted(f"c{i}@example.com" for i in range(2_000))
    assert all(members[f"c{i}@example.com"]["FIRSTNAME"] == f"F{i}" for i in range(0, 2_000, 97))
    add_stat("rows compared", len(members))


def test_removals_and_unsubscribes_survive_faults(app, sandbox):
    """Members leave the list, Dotdigital unsubscribes and suppresses others, and every call may
    fail: once the runs get through, the book holds exactly the list, nobody unsubscribed or
    suppressed is subscribed again, and the unsubscribes are marked back on the list."""
    from sqlalchemy import update

    from example_app.models import Contact

    seed_contacts(500)
    integration, marketing_list, book = connected_list()
    for _ in range(2):  # export, then import: Dotdigital's ids come back, so removals can be sent
        assert run_inline(integration.id).status == SyncStatus.success
        settle(integration.id)
    ids = db.session.execute(select(Contact.id).order_by(Contact.id)).scalars().all()
    departed = {f"c{i}@example.com" for i in range(30)}
    db.session.execute(update(Contact).where(Contact.id.in_(ids[:30])).values(city="Paris"))
    db.session.commit()
    unsubscribed = {u["email"].lower() for u in sandbox.control(
        unsubscribe={"count": 20, "book_id": book.origin_id, "seed": 4})["unsubscribed"]}
    suppressed = {s["email"].lower() for s in sandbox.control(
        suppress={"count": 10, "seed": 5})["suppressed"]}
    app.config.update(DOTDIGITAL_API_READ_TIMEOUT=1.0, DOTDIGITAL_API_MAX_RETRIES=2)
    sandbox.control(fault_rate={"rate": 0.10, "seed": 12, "faults": [
        {"status": 503}, {"status": 500}, {"status": "drop"}, {"status": "stall", "seconds": 1.5}]})
    outcomes = []
    for _ in range(40):
        outcomes.append(run_inline(integration.id).status)
        if outcomes[-1] == SyncStatus.success and not waiting(book):
            break
    injected = sum(1 for call in sandbox.state()["calls"] if call["fault"])
    sandbox.control(fault_rate=None)
    assert injected >= 1 and outcomes[-1] == SyncStatus.success, (injected, outcomes)
    settle(integration.id, rounds=8)
    assert run_inline(integration.id).status == SyncStatus.success  # a clean run changes nothing
    settle(integration.id, rounds=8)

    contacts = {c["email"].lower(): c for c in sandbox.state()["data"]["contacts"]}
    in_book = {email: next(m for m in c["memberships"] if m["addressBookId"] == book.origin_id)
               for email, c in contacts.items()
               if any(m["addressBookId"] == book.origin_id for m in c["memberships"])}
    everyone = {f"c{i}@example.com" for i in range(500)}
    # Who left the list while unsubscribed or suppressed stays in the book with that status: a
    # removal would drop Dotdigital's record of the opt-out there.
    kept = departed & (unsubscribed | suppressed)
    assert set(in_book) == everyone - departed | kept, "no removal lost, no member missing"
    assert all(in_book[e]["status"] != "Subscribed" for e in unsubscribed - departed), \
        "an unsubscribe was undone"
    assert all(contacts[e]["status"] != "Subscribed" for e in suppressed), "a suppression was undone"
    marked = set(db.session.execute(select(Contact.email).join(
        M.UnsubscribedItem, M.UnsubscribedItem.entity_id == Contact.id).where(
        M.UnsubscribedItem.marketing_list_id == marketing_list.id)).scalars())
    assert unsubscribed - departed <= marked, "every unsubscribe is marked back on the list"
    add_stat("faults injected", injected)
    add_stat("faults recovered", injected)
    add_stat("rows compared", len(contacts))
