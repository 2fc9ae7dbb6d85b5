"""Helpers for the sync tests: an integration on the sandbox, and the sandbox's data as expected rows."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from example_app import dotdigital
from example_app.models import db

from .conftest import SANDBOX_PASSWORD, SANDBOX_USER

models = dotdigital.models


def make_integration(name: str = "Main account", password: str = SANDBOX_PASSWORD) -> Any:
    integration = models.Integration(type="dotdigital", name=name, username=SANDBOX_USER,
                                     password=password, enabled=True, default_owner_id=1)
    db.session.add(integration)
    db.session.commit()
    return integration


def rows(model: Any, *columns: str) -> set[tuple[Any, ...]]:
    db.session.expire_all()
    found = db.session.execute(db.select(*[getattr(model, c) for c in columns]))
    return {tuple(row) for row in found}


def mapping(model: Any, key: str, value: str) -> dict[Any, Any]:
    """``key`` → ``value`` for every row (values may be unhashable, such as data fields)."""
    db.session.expire_all()
    return dict(db.session.execute(db.select(getattr(model, key), getattr(model, value))).all())


def runs() -> list[Any]:
    db.session.expire_all()
    run = models.SyncRun
    return list(db.session.execute(db.select(run).where(run.parent_id.is_(None)).order_by(run.id))
                .scalars())


def steps(run: Any) -> dict[str, Any]:
    return {step.connector: step for step in run.steps}


def expected_memberships(data: dict[str, Any]) -> set[tuple[int, int, str]]:
    """(book id, contact id, status): an account-level suppression overrides the per-book status."""
    suppressed = {s["contactId"]: s["reason"] for s in data["suppressions"]}
    return {(m["addressBookId"], c["id"], suppressed.get(c["id"], m["status"]))
            for c in data["contacts"] for m in c["memberships"]}


def local_memberships() -> set[tuple[int, int, str]]:
    book, contact, member = models.AddressBook, models.Contact, models.AddressBookContact
    db.session.expire_all()
    found = db.session.execute(db.select(book.origin_id, contact.origin_id, member.status)
                               .join(book, member.address_book_id == book.id)
                               .join(contact, member.contact_id == contact.id))
    return {(b, c, str(s)) for b, c, s in found}


def wait_until(predicate: Callable[[], Any], timeout: float = 120.0, *, interval: float = 0.2,
               before: Callable[[], Any] = lambda: None, describe: Callable[[], Any] | None = None) -> Any:
    """Poll ``predicate`` until it returns something truthy, and return that.

    ``before`` runs ahead of each poll (a watch on the cursors, say); on timeout the error shows
    ``describe()``, by default every root run with its status and message.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before()
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    shown = describe() if describe is not None else [(r.id, r.status, r.message) for r in runs()]
    raise AssertionError(f"timed out after {timeout:.0f} s: {shown}")
