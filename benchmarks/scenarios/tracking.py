"""Scenario 6: what change tracking adds to a host app's own writes.

N host contacts, all members of an exported list, get a mapped field (first name) changed through
the ORM, ``batch`` records per commit. The same updates run with the extension's session
listeners attached and detached (``event.remove``: the extension not installed, as far as the
host's session can tell), alternating three times; each side keeps its best time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, func, select, update

from example_app import dotdigital
from example_app.models import Contact, db

from ..env import Bench, M, seed_host_contacts
from ..exporting import connected_list, run_inline
from ..harness import Row, ratio_row, stopwatch

NAMES = ("tracking",)
ROUNDS = 3


def run(bench: Bench, sizes: Any, profile: Any) -> list[Row]:
    n, batch = sizes.tracking, sizes.tracking_batch
    app = bench.app("tracking")
    bench.reset_sandbox()
    with app.app_context():
        seed_host_contacts(n)
        integration, _ = connected_list()
        run_inline(integration.id, "contact_export")
        ids = db.session.execute(select(Contact.id).order_by(Contact.id)).scalars().all()
        tracked, untracked, flagged, leaked = [], [], 0, 0
        for round_ in range(ROUNDS):
            _clear_flags()
            with stopwatch() as took, profile("tracking" if round_ == 0 else "-"):
                _update(ids, batch, f"T{round_}")
            tracked.append(took[0])
            flagged = _flags()
            _clear_flags()
            with _detached(), stopwatch() as took:
                _update(ids, batch, f"U{round_}")
            untracked.append(took[0])
            leaked = max(leaked, _flags())
    return [ratio_row("6 change-tracking overhead", f"{n:,}", min(tracked), min(untracked), 1.3, notes=[
        f"{n:,} ORM updates of first_name, {batch} per commit, best of {ROUNDS} each; with tracking "
        f"{flagged:,} members were flagged for export, without it {leaked:,}"])]


def _update(ids: list[int], batch: int, tag: str) -> None:
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        for contact in db.session.execute(select(Contact).where(Contact.id.in_(chunk))).scalars():
            contact.first_name = f"{tag}-{contact.id}"
        db.session.commit()


def _flags() -> int:
    return int(db.session.scalar(select(func.count()).select_from(M.AddressBookContact).where(
        M.AddressBookContact.entity_updated.is_(True))) or 0)


def _clear_flags() -> None:
    db.session.execute(update(M.AddressBookContact).values(entity_updated=False))
    db.session.commit()


class _detached:
    """The tracker's ``before_flush``/``after_flush`` listeners removed for the block."""

    def _listeners(self) -> list[tuple[str, Callable[..., Any]]]:
        tracker = dotdigital.tracker
        return [("before_flush", tracker._before_flush), ("after_flush", tracker._after_flush)]

    def __enter__(self) -> None:
        for name, listener in self._listeners():
            event.remove(db.session, name, listener)

    def __exit__(self, *exc: Any) -> None:
        for name, listener in self._listeners():
            event.listen(db.session, name, listener)
