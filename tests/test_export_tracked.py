"""Who joined or left a list, from change tracking: once a book was compared with its list in full,
a run compares only the records written since (``MemberChange`` rows), and the whole list again
only when tracking cannot have seen a write."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event, func, select, text

from example_app.models import Contact, db
from flask_dotdigital.models.enums import SyncStatus
from flask_dotdigital.sync.export import changes

from .exporting import M, book_members, connected_list, run_inline, seed_contacts, settle, uploads


@pytest.fixture(autouse=True)
def every_process_tracks_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # In production a full comparison counts as a base once every process has had the time to
    # reload what to track; here there is one process, and the tests should not wait for it.
    monkeypatch.setattr(changes, "TRACKING_CACHE_SECONDS", 0.0)


def changes_waiting() -> int:
    return int(db.session.scalar(select(func.count()).select_from(M.MemberChange)) or 0)


def compared_in_full(book: Any) -> None:
    """Two full syncs: the export, then the import that brings Dotdigital's ids back (a member
    can only be removed by its id)."""
    for _ in range(2):
        run = run_inline(book.integration_id)
        assert run.status == SyncStatus.success, run.message
        settle(book.integration_id)
    db.session.refresh(book)
    assert book.membership_checked_at is not None


def statements_of(integration_id: int, *connectors: str) -> list[str]:
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        run = run_inline(integration_id, *connectors)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert run.status == SyncStatus.success, run.message
    return seen


def compared_whole_list(statements: list[str]) -> bool:
    """An anti-join ran without the restriction to the claimed records."""
    return any("NOT (EXISTS" in s and "dotdigital_member_change" not in s for s in statements)


def test_a_tracked_run_compares_only_the_records_written(app, sandbox):
    seed_contacts(40)
    integration, _, book = connected_list()
    compared_in_full(book)
    joined = Contact(first_name="New", last_name="Comer", email="newcomer@example.com", city="London")
    db.session.add(joined)
    leaver = db.session.execute(select(Contact).where(Contact.email == "c3@example.com")).scalar_one()
    leaver.city = "Paris"
    renamed = db.session.execute(select(Contact).where(Contact.email == "c4@example.com")).scalar_one()
    renamed.first_name = "Renamed"  # a mapped field, not a condition: no membership change
    db.session.commit()
    # Raw SQL reaches no tracking at all.
    db.session.execute(text(
        "INSERT INTO crm_contact (first_name, last_name, email, city, owner_id, updated_at) "
        "VALUES ('Raw', 'Row', 'raw@example.com', 'London', 1, '2026-01-01 00:00:00')"))
    db.session.commit()
    assert changes_waiting() == 2

    before = len(sandbox.state()["calls"])
    seen = statements_of(integration.id, "contact_export")
    # Both anti-joins ran, each restricted to the claimed records: never over the whole list.
    anti_joins = [s for s in seen if "NOT (EXISTS" in s]
    assert len(anti_joins) >= 2 and all("dotdigital_member_change" in s for s in anti_joins), anti_joins
    assert changes_waiting() == 0
    (upload,) = uploads(sandbox, before)
    settle(integration.id)
    members = book_members(sandbox, book.origin_id)
    assert "newcomer@example.com" in members and "c3@example.com" not in members
    assert members["c4@example.com"]["FIRSTNAME"] == "Renamed"
    assert "raw@example.com" not in members, "invisible to tracking until the periodic recheck"

    book.membership_checked_at -= timedelta(days=2)  # the recheck is due
    db.session.commit()
    seen = statements_of(integration.id, "contact_export")
    assert compared_whole_list(seen)
    settle(integration.id)
    assert "raw@example.com" in book_members(sandbox, book.origin_id)


def test_a_run_with_nothing_written_compares_nothing(app, sandbox):
    seed_contacts(30)
    integration, _, book = connected_list()
    compared_in_full(book)
    before = len(sandbox.state()["calls"])
    seen = statements_of(integration.id, "contact_export")
    assert not [s for s in seen if "NOT (EXISTS" in s], "no anti-join at all"
    assert uploads(sandbox, before) == []


def test_static_picks_are_tracked_and_a_bulk_removal_compares_the_list(app, sandbox):
    seed_contacts(10)
    integration, marketing_list, book = connected_list()
    marketing_list.type, marketing_list.definition = "static", None
    ids = db.session.execute(select(Contact.id).order_by(Contact.id)).scalars().all()
    db.session.add_all([M.StaticMember(marketing_list_id=marketing_list.id, entity_id=i) for i in ids[:3]])
    db.session.commit()
    compared_in_full(book)
    assert len(book_members(sandbox, book.origin_id)) == 3

    db.session.add(M.StaticMember(marketing_list_id=marketing_list.id, entity_id=ids[5]))
    db.session.commit()
    assert changes_waiting() == 1
    assert run_inline(integration.id, "contact_export").status == SyncStatus.success
    settle(integration.id)
    assert set(book_members(sandbox, book.origin_id)) == {"c0@example.com", "c1@example.com",
                                                          "c2@example.com", "c5@example.com"}
    run_inline(integration.id)  # Dotdigital's id for c5 comes back
    settle(integration.id)

    # The lists page removes a pick with a bulk DELETE: its rows are unknown, so the whole list.
    db.session.execute(delete(M.StaticMember).where(M.StaticMember.entity_id == ids[0]))
    db.session.commit()
    (change,) = db.session.execute(select(M.MemberChange)).scalars()
    assert change.entity_id is None
    seen = statements_of(integration.id, "contact_export")
    assert compared_whole_list(seen)
    settle(integration.id)
    assert "c0@example.com" not in book_members(sandbox, book.origin_id)
    assert changes_waiting() == 0


def test_a_failed_upload_leaves_the_changes_for_the_next_run(app, sandbox):
    seed_contacts(20)
    integration, _, book = connected_list()
    compared_in_full(book)
    db.session.add(Contact(first_name="Late", last_name="Joiner", email="late@example.com", city="London"))
    db.session.commit()
    sandbox.control(fail_next=[{"status": 503}])
    assert run_inline(integration.id, "contact_export").status == SyncStatus.failed
    assert changes_waiting() == 1, "nothing lost: the change waits"
    assert run_inline(integration.id, "contact_export").status == SyncStatus.success
    assert changes_waiting() == 0
    settle(integration.id)
    assert "late@example.com" in book_members(sandbox, book.origin_id)


def test_editing_the_lists_conditions_compares_the_whole_list(app, sandbox):
    seed_contacts(10)
    integration, marketing_list, book = connected_list()
    compared_in_full(book)
    marketing_list.definition = {"match": "all", "rules": [
        {"field": "city", "op": "eq", "value": "London"}, {"field": "first_name", "op": "ne", "value": "F1"}]}
    db.session.commit()
    seen = statements_of(integration.id, "contact_export")
    assert compared_whole_list(seen)
    settle(integration.id)
    assert "c1@example.com" not in book_members(sandbox, book.origin_id)
    # first_name now decides membership: tracking records a write to it.
    contact = db.session.execute(select(Contact).where(Contact.email == "c2@example.com")).scalar_one()
    contact.first_name = "F1"
    db.session.commit()
    assert changes_waiting() == 1
